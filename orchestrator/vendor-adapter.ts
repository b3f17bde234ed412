import { inferenceResult, jobStatus, type InferenceResult, type JobRequest } from '../vendors/index.ts';

export type InferenceErrorClass = 'timeout' | 'http_4xx' | 'http_5xx' | 'invalid_response' | 'connection' | 'circuit_open' | 'rejected';

/** A failed inference attempt, classified; `retryable` says whether another attempt can succeed. */
export class InferenceError extends Error {
  constructor(
    readonly errorClass: InferenceErrorClass,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'InferenceError';
  }
}

/** One vendor's inference service: submit a study, get the result (at once or by polling). */
export interface VendorAdapter {
  submit(job: JobRequest, timeoutMs: number): Promise<InferenceResult>;
}

/** The vendor protocol over HTTP (see vendors/protocol.ts), with polling when the service answers 202. */
export class HttpVendorAdapter implements VendorAdapter {
  constructor(
    private readonly baseUrl: string,
    private readonly pollIntervalMs = 250,
  ) {}

  async submit(job: JobRequest, timeoutMs: number): Promise<InferenceResult> {
    const deadline = Date.now() + timeoutMs;
    let status = await this.call('POST', '/v1/jobs', job, deadline);
    while (status.status === 'pending') {
      if (Date.now() + this.pollIntervalMs > deadline) throw new InferenceError('timeout', `no result within ${timeoutMs} ms`, true);
      await new Promise((r) => setTimeout(r, this.pollIntervalMs));
      status = await this.call('GET', `/v1/jobs/${encodeURIComponent(job.job_id)}`, undefined, deadline);
    }
    if (status.status === 'failed') throw new InferenceError('rejected', `the vendor failed the job: ${status.error ?? 'no reason given'}`, false);
    if (!status.result) throw new InferenceError('invalid_response', 'a done job without a result', true);
    return status.result;
  }

  private async call(method: string, path: string, body: unknown, deadline: number) {
    let response: Response;
    try {
      response = await fetch(new URL(path.replace(/^\//, ''), this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`), {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      });
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new InferenceError('timeout', 'the vendor did not answer in time', true);
      throw new InferenceError('connection', `the vendor is unreachable: ${(error as Error).message}`, true);
    }
    const text = await response.text().catch(() => '');
    if (response.status >= 500) throw new InferenceError('http_5xx', `the vendor answered ${response.status}`, true);
    if (response.status === 429) throw new InferenceError('http_4xx', 'the vendor asked us to slow down (429)', true);
    if (response.status >= 400) throw new InferenceError('http_4xx', `the vendor refused the job (${response.status}): ${text.slice(0, 200)}`, false);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new InferenceError('invalid_response', `the vendor's answer is not JSON: ${text.slice(0, 80)}`, true);
    }
    const status = jobStatus.safeParse(parsed);
    if (!status.success) throw new InferenceError('invalid_response', `the vendor's answer does not follow the protocol: ${status.error.issues[0]?.message}`, true);
    if (status.data.result && !inferenceResult.safeParse(status.data.result).success) throw new InferenceError('invalid_response', 'invalid result', true);
    return status.data;
  }
}
