import { createServer, type Server as NetServer, type Socket } from 'node:net';
import dimse from 'dcmjs-dimse';
import type { FastifyBaseLogger } from 'fastify';
import { DicomInputError, headerFromDataset } from './dicom-header.ts';
import { IntakeFullError } from './study-assembler.ts';
import type { StudyIntake } from './study-intake.ts';

const { Scp, constants, responses, log: dimseLog } = dimse;
const { Status, PresentationContextResult, RejectResult, RejectSource, RejectReason, TransferSyntax, SopClass, StorageClass } = constants;
const { CEchoResponse, CStoreResponse } = responses;

dimseLog.setLevel('error');

const STORAGE_CLASSES = new Set<string>(Object.values(StorageClass) as string[]);
const TRANSFER_SYNTAXES = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian] as string[];

export interface DimseScpOptions {
  intake: StudyIntake;
  aeTitle: string;
  host: string;
  port: number;
  log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
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

  class AifiScp extends Scp {
    private caller: ReturnType<StudyIntake['callingAe']>;

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
        if (abstract !== SopClass.Verification && !STORAGE_CLASSES.has(abstract)) {
          context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
          continue;
        }
        const offered = context.getTransferSyntaxUids();
        const accepted = TRANSFER_SYNTAXES.find((ts) => offered.includes(ts));
        if (accepted) context.setResult(PresentationContextResult.Accept, accepted);
        else context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
      }
      this.sendAssociationAccept();
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
        const dataset = request.getDataset();
        if (!dataset) throw new DicomInputError('C-STORE request without a dataset');
        const header = headerFromDataset(dataset.getElements());
        intake.receive(this.caller!.hospital, this.caller!.sendMode, header, 'dimse', started);
        response.setStatus(Status.Success);
      } catch (error) {
        intake.refused('dimse');
        if (error instanceof DicomInputError) {
          response.setStatus(0xc000);
          response.setErrorComment(error.message.slice(0, 64));
        } else if (error instanceof IntakeFullError) {
          response.setStatus(0xa700);
          response.setErrorComment('too many studies in progress');
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
    new AifiScp(socket, { associationTimeout: 60_000, pduTimeout: 60_000 });
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
