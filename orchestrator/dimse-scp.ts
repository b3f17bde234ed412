import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import dimse from 'dcmjs-dimse';
import type { FastifyBaseLogger } from 'fastify';
import { DicomInputError, INTAKE_FULL, part10Prefix, readInstanceHeader, REFUSAL } from './dicom-header.ts';
import { acceptedTransferSyntax, isStorageSopClass } from './dicom-uids.ts';
import { abortPdu, PDU, PduGuard } from './pdu-guard.ts';
import { IntakeFullError } from './study-assembler.ts';
import type { StudyIntake } from './study-intake.ts';

const { Scp, constants, responses, log: dimseLog } = dimse;
const { Status, PresentationContextResult, RejectResult, RejectSource, RejectReason, SopClass } = constants;
const { CEchoResponse, CStoreResponse } = responses;

// dcmjs-dimse logs unstructured lines to the console: the receiver logs its own, structured.
dimseLog.setLevel('silent');

/** What one C-STORE carried: the data set's bytes as sent, in the negotiated transfer syntax, up to a limit. */
class ReceivedDataSet extends Writable {
  private readonly chunks: Buffer[] = [];
  bytes = 0;

  constructor(private readonly maxBytes: number) {
    super({ highWaterMark: 1 << 20 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    if (this.bytes + chunk.length <= this.maxBytes) this.chunks.push(chunk);
    this.bytes += chunk.length;
    done();
  }

  get tooLarge(): boolean {
    return this.bytes > this.maxBytes;
  }

  buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

interface Received {
  data: ReceivedDataSet;
  transferSyntax: string;
}

export interface DimseScpOptions {
  intake: StudyIntake;
  aeTitle: string;
  host: string;
  port: number;
  log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
  /** Largest instance taken by C-STORE (default 1 GiB); a larger one is refused with 0xA700. */
  maxInstanceBytes?: number;
  /** Largest A-ASSOCIATE-RQ read before the calling AE title is checked (default 64 KiB). */
  maxAssociateRequestBytes?: number;
}

/** A running C-STORE SCP; `close` stops accepting associations and ends open ones. */
export interface DimseScp {
  port: number;
  close: () => Promise<void>;
}

/**
 * DICOM C-STORE and C-ECHO receiver (dcmjs-dimse), bound to one host. A calling
 * AE title stands for a hospital and a send mode; unknown callers are refused.
 */
export async function startDimseScp(options: DimseScpOptions): Promise<DimseScp> {
  const { intake, log } = options;

  const maxInstanceBytes = options.maxInstanceBytes ?? 2 ** 30;
  const closeSoon = (socket: Socket) => {
    socket.end();
    setTimeout(() => socket.destroy(), 1000).unref();
  };

  class AifiScp extends Scp {
    private caller: ReturnType<StudyIntake['callingAe']>;

    constructor(
      readonly socket: Socket,
      readonly guard: PduGuard,
    ) {
      super(socket, { associationTimeout: 30_000, pduTimeout: 60_000 });
      this.on('networkError', (error: Error) => log.warn({ calling: this.caller?.hospital.id, reason: error.message }, 'DICOM connection error'));
    }

    override associationRequested(association: Parameters<InstanceType<typeof Scp>['associationRequested']>[0]): void {
      const calling = association.getCallingAeTitle().trim();
      const called = association.getCalledAeTitle().trim();
      this.caller = intake.callingAe(calling);
      if (!this.caller) {
        log.warn({ calling, called }, 'DICOM association refused: calling AE title not configured for any hospital');
        this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CallingAeNotRecognized);
        return;
      }
      if (called !== options.aeTitle) {
        log.warn({ calling, called }, 'DICOM association refused: called AE title is not ours');
        this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CalledAeNotRecognized);
        return;
      }
      for (const c of association.getPresentationContexts()) {
        const context = association.getPresentationContext(c.id);
        const abstract = context.getAbstractSyntaxUid();
        if (abstract !== SopClass.Verification && !isStorageSopClass(abstract)) {
          context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
          continue;
        }
        const accepted = acceptedTransferSyntax(context.getTransferSyntaxUids());
        if (accepted) context.setResult(PresentationContextResult.Accept, accepted);
        else context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
      }
      this.guard.markAccepted();
      this.sendAssociationAccept();
    }

    override sendAssociationReject(...args: Parameters<InstanceType<typeof Scp>['sendAssociationReject']>): void {
      super.sendAssociationReject(...args);
      // The requestor should close now; do it for it if it does not.
      closeSoon(this.socket);
    }

    override createStoreWritableStream(): Writable {
      return new ReceivedDataSet(maxInstanceBytes);
    }

    override createDatasetFromStoreWritableStream(...[writable, context, callback]: Parameters<InstanceType<typeof Scp>['createDatasetFromStoreWritableStream']>): void {
      const received: Received = { data: writable as ReceivedDataSet, transferSyntax: context.getAcceptedTransferSyntaxUid() ?? '' };
      callback(received as unknown as Parameters<typeof callback>[0]);
    }

    override cEchoRequest(request: Parameters<InstanceType<typeof Scp>['cEchoRequest']>[0], callback: (r: InstanceType<typeof CEchoResponse>) => void): void {
      const response = CEchoResponse.fromRequest(request);
      response.setStatus(Status.Success);
      callback(response);
    }

    override cStoreRequest(request: Parameters<InstanceType<typeof Scp>['cStoreRequest']>[0], callback: (r: InstanceType<typeof CStoreResponse>) => void): void {
      const started = performance.now();
      const response = CStoreResponse.fromRequest(request);
      try {
        const received = request.getDataset() as unknown as Received | undefined;
        if (!received) throw new DicomInputError('C-STORE request without a data set');
        if (received.data.tooLarge) throw new DicomInputError(`instance over ${Math.floor(maxInstanceBytes / 2 ** 20)} MiB`, REFUSAL.outOfResources);
        const sopClassUid = request.getAffectedSopClassUid();
        const sopInstanceUid = request.getAffectedSopInstanceUid();
        // The same reader as STOW-RS: the data set becomes a Part 10 file, so both channels check the same and answer the same.
        const header = readInstanceHeader(Buffer.concat([part10Prefix(sopClassUid, sopInstanceUid, received.transferSyntax), received.data.buffer()]));
        if (header.sopInstanceUid !== sopInstanceUid) throw new DicomInputError('SOPInstanceUID differs from the C-STORE command', REFUSAL.doesNotMatchSopClass);
        if (header.sopClassUid !== sopClassUid) throw new DicomInputError('SOPClassUID differs from the C-STORE command', REFUSAL.doesNotMatchSopClass);
        intake.receive(this.caller!.hospital, this.caller!.sendMode, header, 'dimse', started);
        response.setStatus(Status.Success);
      } catch (error) {
        intake.refused('dimse');
        if (error instanceof DicomInputError) {
          response.setStatus(error.status);
          response.setErrorComment(error.message);
          log.warn({ calling: this.caller?.hospital.id, status: error.status, reason: error.message }, 'C-STORE instance refused');
        } else if (error instanceof IntakeFullError) {
          response.setStatus(REFUSAL.outOfResources);
          response.setErrorComment(INTAKE_FULL);
        } else {
          log.error({ err: error }, 'C-STORE failed');
          response.setStatus(Status.ProcessingFailure);
        }
      }
      callback(response);
    }

    override associationReleaseRequested(): void {
      this.sendAssociationReleaseResponse();
    }
  }

  const sockets = new Set<Socket>();
  const server: NetServer = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const guard = new PduGuard({ associateRequestBytes: options.maxAssociateRequestBytes ?? 64 * 1024, dataBytes: 4 * 2 ** 20 + 6 });
    // Runs before dcmjs-dimse sees the bytes: what breaks the framing is aborted before it is buffered.
    socket.prependListener('data', (chunk: Buffer) => {
      const inspection = guard.inspect(chunk);
      if ('violation' in inspection) {
        log.warn({ remote: socket.remoteAddress, reason: inspection.violation }, 'DICOM connection aborted');
        socket.removeAllListeners('data');
        socket.pause();
        socket.end(abortPdu(inspection.reason), () => socket.destroy());
        setTimeout(() => socket.destroy(), 1000).unref();
      } else if (inspection.types.includes(PDU.abort)) {
        setImmediate(() => socket.destroy());
      }
    });
    new AifiScp(socket, guard);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
