import dimse from 'dcmjs-dimse';
import type { NaturalDataset } from 'dcmjs';
import type { PacsTarget } from './hospitals.ts';

const { Client, Dataset, requests, constants } = dimse;

export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** Sends one DICOM object to a hospital's PACS by STOW-RS. */
async function stow(target: Extract<PacsTarget, { via: 'stow' }>, file: Buffer, timeoutMs: number): Promise<void> {
  const boundary = `aifi-${Date.now().toString(36)}`;
  const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), file, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  let response: Response;
  try {
    response = await fetch(`${target.url.replace(/\/$/, '')}/studies`, {
      method: 'POST',
      body,
      headers: { ...target.headers, 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`, accept: 'application/dicom+json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new DeliveryError(`the PACS at ${target.url} is unreachable: ${(error as Error).message}`, true);
  }
  const text = await response.text().catch(() => '');
  if (response.status === 200) return;
  throw new DeliveryError(`the PACS answered ${response.status} to STOW-RS: ${text.slice(0, 200)}`, response.status >= 500 || response.status === 429);
}

/** Sends one DICOM object to a hospital's PACS by C-STORE. */
function cStore(target: Extract<PacsTarget, { via: 'c-store' }>, dataset: NaturalDataset, callingAe: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const request = new requests.CStoreRequest(new Dataset(dataset, constants.TransferSyntax.ExplicitVRLittleEndian));
    let settled = false;
    const settle = (error?: DeliveryError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => settle(new DeliveryError(`no C-STORE answer from ${target.aeTitle} within ${timeoutMs} ms`, true)), timeoutMs);
    request.on('response', (response) => {
      const status = response.getStatus();
      if (status === constants.Status.Success) settle();
      else settle(new DeliveryError(`the PACS answered C-STORE status 0x${status.toString(16)}`, (status & 0xff00) === 0xa700));
    });
    client.on('associationRejected', (result) => settle(new DeliveryError(`the PACS refused the association: ${JSON.stringify(result)}`, false)));
    client.on('networkError', (error) => settle(new DeliveryError(`the PACS at ${target.host}:${target.port} is unreachable: ${error.message}`, true)));
    client.on('closed', () => settle(new DeliveryError('the association closed before an answer', true)));
    client.addRequest(request);
    client.send(target.host, target.port, callingAe, target.aeTitle);
  });
}

/** Sends a result object to the PACS as configured; one attempt. */
export async function sendToPacs(target: PacsTarget, file: Buffer, dataset: NaturalDataset, callingAe: string, timeoutMs: number): Promise<void> {
  if (target.via === 'stow') return stow(target, file, timeoutMs);
  return cStore(target, dataset, callingAe, timeoutMs);
}
