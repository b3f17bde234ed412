import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PILOT_HOSPITALS, readInstanceHeader, syntheticStudy, type InstanceHeader } from './index.ts';
import { IntakeFullError, StudyAssembler, type AssembledStudy } from './study-assembler.ts';

// The quiet period is the subject here: the clock is vitest's, driven by hand.
const QUIET_MS = 30_000;
const [gelre, zgt] = PILOT_HOSPITALS.hospitals;

function headers(instances: number, options: { studyInstanceUid?: string } = {}): InstanceHeader[] {
  return syntheticStudy({ modality: 'DX', bodyPart: 'WRIST', patientAge: '045Y', instances, ...options }).files.map(readInstanceHeader);
}

let completed: AssembledStudy[];
let late: AssembledStudy[];
const assembler = (options: { maxOpenStudies?: number; rememberCompleted?: number } = {}) =>
  new StudyAssembler({ quietMs: QUIET_MS, onComplete: (s) => void completed.push(s), onLate: (s) => void late.push(s), ...options });

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2026-03-02T08:00:00Z') });
  completed = [];
  late = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the study assembler', () => {
  it('completes a study once no instance came for the quiet period, each instance starting it again', () => {
    const a = assembler();
    const [first, second, third] = headers(3);
    const start = Date.now();
    expect(a.add(gelre!, 'automatic', first!)).toBe('new-study');
    vi.advanceTimersByTime(QUIET_MS - 1);
    expect(a.add(gelre!, 'automatic', second!)).toBe('added');
    vi.advanceTimersByTime(QUIET_MS - 1);
    expect(a.add(gelre!, 'automatic', third!)).toBe('added');
    vi.advanceTimersByTime(QUIET_MS - 1);
    expect(completed).toEqual([]);
    expect(a.openStudies).toBe(1);
    vi.advanceTimersByTime(1);
    expect(completed).toHaveLength(1);
    expect(a.openStudies).toBe(0);
    const [study] = completed;
    expect([...study!.instances.keys()]).toEqual([first!.sopInstanceUid, second!.sopInstanceUid, third!.sopInstanceUid]);
    expect(study!.firstReceivedAt).toBe(start);
    expect(study!.lastReceivedAt).toBe(start + 2 * (QUIET_MS - 1));
    expect(study!.header.sopInstanceUid).toBe(first!.sopInstanceUid);
    vi.advanceTimersByTime(10 * QUIET_MS);
    expect(completed).toHaveLength(1);
  });

  it('counts a repeated instance once, before and after the study completed', () => {
    const a = assembler();
    const [first, second] = headers(2);
    a.add(gelre!, 'automatic', first!);
    vi.advanceTimersByTime(QUIET_MS - 1);
    expect(a.add(gelre!, 'automatic', first!)).toBe('duplicate');
    // A repeat does not start the quiet period again.
    vi.advanceTimersByTime(1);
    expect(completed.map((s) => s.instances.size)).toEqual([1]);
    expect(a.add(gelre!, 'automatic', first!)).toBe('duplicate');
    expect(a.add(gelre!, 'automatic', second!)).toBe('late');
    expect(a.add(gelre!, 'automatic', second!)).toBe('duplicate');
    expect(late.map((s) => s.instances.size)).toEqual([2]);
    expect(late[0]!.lastReceivedAt).toBe(Date.now());
    expect(completed).toHaveLength(1);
  });

  it('keeps the studies of two hospitals with the same study instance UID apart, each on its own clock', () => {
    const a = assembler();
    const [mine] = headers(1, { studyInstanceUid: '1.2.826.0.1.3680043.10.1.7' });
    const [theirs] = headers(1, { studyInstanceUid: '1.2.826.0.1.3680043.10.1.7' });
    a.add(gelre!, 'automatic', mine!);
    vi.advanceTimersByTime(QUIET_MS / 2);
    a.add(zgt!, 'manual', theirs!);
    vi.advanceTimersByTime(QUIET_MS / 2);
    expect(completed.map((s) => [s.hospital.id, s.sendMode])).toEqual([[gelre!.id, 'automatic']]);
    vi.advanceTimersByTime(QUIET_MS / 2);
    expect(completed.map((s) => [s.hospital.id, s.sendMode])).toEqual([[gelre!.id, 'automatic'], [zgt!.id, 'manual']]);
    expect(a.find(zgt!.id, '1.2.826.0.1.3680043.10.1.7')?.sendMode).toBe('manual');
  });

  it('refuses a new study beyond the open limit until one completes, and forgets the oldest completed beyond its memory', () => {
    const a = assembler({ maxOpenStudies: 2, rememberCompleted: 2 });
    const studies = [headers(1), headers(1), headers(1), headers(1)].map(([h]) => h!);
    a.add(gelre!, 'automatic', studies[0]!);
    a.add(gelre!, 'automatic', studies[1]!);
    expect(() => a.add(gelre!, 'automatic', studies[2]!)).toThrow(IntakeFullError);
    vi.advanceTimersByTime(QUIET_MS);
    expect(a.add(gelre!, 'automatic', studies[2]!)).toBe('new-study');
    vi.advanceTimersByTime(QUIET_MS);
    expect(completed.map((s) => s.header.studyInstanceUid)).toEqual(studies.slice(0, 3).map((s) => s.studyInstanceUid));
    // Two remembered: the first study is forgotten, so its instance starts a study again.
    expect(a.find(gelre!.id, studies[0]!.studyInstanceUid)).toBeUndefined();
    expect(a.find(gelre!.id, studies[1]!.studyInstanceUid)).toBeDefined();
    expect(a.add(gelre!, 'automatic', studies[0]!)).toBe('new-study');
  });

  it('completes every open study at once when flushed, and then nothing more when their timers would have run', () => {
    const a = assembler();
    a.add(gelre!, 'automatic', headers(1)[0]!);
    a.add(zgt!, 'automatic', headers(1)[0]!);
    vi.advanceTimersByTime(QUIET_MS / 3);
    a.flush();
    expect(completed).toHaveLength(2);
    expect(a.openStudies).toBe(0);
    vi.advanceTimersByTime(QUIET_MS);
    expect(completed).toHaveLength(2);
  });
});
