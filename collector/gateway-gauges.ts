import type { CollectorMetrics } from './metrics.ts';

/**
 * The latest heartbeat of each gateway component on /metrics, for the
 * gateway-down rule. A heartbeat counts at its own time or at its arrival,
 * whichever is earlier, so that one dated in the future cannot hide a later
 * real `down`. The series are bounded: at most `maxPerHospital` components of
 * a hospital.
 */
export class GatewayGauges {
  private readonly latest = new Map<string, Map<string, number>>();

  constructor(
    private readonly maxPerHospital: number,
    private readonly metrics: CollectorMetrics,
  ) {}

  /** Takes a place for the component, or says why it is refused (one component too many). */
  admit(hospital: string, component: string): string | null {
    let components = this.latest.get(hospital);
    if (!components) this.latest.set(hospital, (components = new Map()));
    if (components.has(component)) return null;
    if (components.size < this.maxPerHospital) {
      components.set(component, 0);
      return null;
    }
    return `hospital ${hospital} already has ${this.maxPerHospital} gateway components (${[...components.keys()].slice(0, 5).join(', ')}, …); another is refused`;
  }

  record(hospital: string, component: string, status: string, atMs: number): void {
    const components = this.latest.get(hospital);
    if (!components?.has(component)) return;
    const t = atMs / 1000;
    if (t < (components.get(component) ?? 0)) return;
    components.set(component, t);
    this.metrics.gatewayLastHeartbeat.set({ hospital, component }, t);
    this.metrics.gatewayUp.set({ hospital, component }, status === 'up' ? 1 : status === 'degraded' ? 0.5 : 0);
  }
}
