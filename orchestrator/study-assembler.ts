import type { InstanceHeader } from './dicom-header.ts';
import type { Hospital } from './hospitals.ts';

export type SendMode = 'automatic' | 'manual';

/** What a result object references of each instance of its study (its evidence). */
export interface EvidenceInstance {
  sopClassUid: string;
  seriesInstanceUid: string;
}

/** The instances of a study, by SOP Instance UID. */
export type StudyInstances = Map<string, EvidenceInstance>;

const evidence = (header: InstanceHeader): EvidenceInstance => ({ sopClassUid: header.sopClassUid, seriesInstanceUid: header.seriesInstanceUid });

export interface AssembledStudy {
  hospital: Hospital;
  sendMode: SendMode;
  /** The header of the first instance: study-level facts. */
  header: InstanceHeader;
  instances: StudyInstances;
  firstReceivedAt: number;
  lastReceivedAt: number;
}

export type AddOutcome = 'new-study' | 'added' | 'duplicate' | 'late';

export class IntakeFullError extends Error {
  constructor(limit: number) {
    super(`too many studies in progress (${limit}); try again later`);
    this.name = 'IntakeFullError';
  }
}

interface Completed {
  hospital: Hospital;
  sendMode: SendMode;
  header: InstanceHeader;
  instances: StudyInstances;
  firstReceivedAt: number;
}

export interface StudyAssemblerOptions {
  /** A study is complete when no instance arrived for this long (like a PACS's stable age). */
  quietMs: number;
  /** Studies collecting instances at once; beyond it new studies are refused. */
  maxOpenStudies?: number;
  /** How many completed studies are remembered to recognise late instances. */
  rememberCompleted?: number;
  onComplete: (study: AssembledStudy) => void;
  /** An instance of a study that had already completed: the study with the new total. */
  onLate: (study: AssembledStudy) => void;
}

/** Groups instances into studies and decides when a study is complete. */
export class StudyAssembler {
  private readonly open = new Map<string, { study: AssembledStudy; timer: NodeJS.Timeout }>();
  private readonly completed = new Map<string, Completed>();
  private readonly maxOpen: number;
  private readonly remember: number;

  constructor(private readonly options: StudyAssemblerOptions) {
    this.maxOpen = options.maxOpenStudies ?? 10_000;
    this.remember = options.rememberCompleted ?? 100_000;
  }

  get openStudies(): number {
    return this.open.size;
  }

  add(hospital: Hospital, sendMode: SendMode, header: InstanceHeader, now = Date.now()): AddOutcome {
    const key = `${hospital.id}\u0000${header.studyInstanceUid}`;
    const current = this.open.get(key);
    if (current) {
      if (current.study.instances.has(header.sopInstanceUid)) return 'duplicate';
      current.study.instances.set(header.sopInstanceUid, evidence(header));
      current.study.lastReceivedAt = now;
      current.timer.refresh();
      return 'added';
    }
    const done = this.completed.get(key);
    if (done) {
      if (done.instances.has(header.sopInstanceUid)) return 'duplicate';
      done.instances.set(header.sopInstanceUid, evidence(header));
      this.options.onLate({ ...done, lastReceivedAt: now });
      return 'late';
    }
    if (this.open.size >= this.maxOpen) throw new IntakeFullError(this.maxOpen);
    const study: AssembledStudy = { hospital, sendMode, header, instances: new Map([[header.sopInstanceUid, evidence(header)]]), firstReceivedAt: now, lastReceivedAt: now };
    const timer = setTimeout(() => this.complete(key), this.options.quietMs);
    timer.unref();
    this.open.set(key, { study, timer });
    return 'new-study';
  }

  private complete(key: string): void {
    const entry = this.open.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.open.delete(key);
    const { study } = entry;
    this.completed.set(key, { hospital: study.hospital, sendMode: study.sendMode, header: study.header, instances: study.instances, firstReceivedAt: study.firstReceivedAt });
    if (this.completed.size > this.remember) this.completed.delete(this.completed.keys().next().value!);
    this.options.onComplete(study);
  }

  /** A study that has completed and is still remembered. */
  find(hospitalId: string, studyInstanceUid: string): Readonly<Completed> | undefined {
    return this.completed.get(`${hospitalId}\u0000${studyInstanceUid}`);
  }

  /** Completes every open study now (at shutdown). */
  flush(): void {
    for (const key of [...this.open.keys()]) this.complete(key);
  }
}
