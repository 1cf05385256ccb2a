// A fixed place the latency model knows: a landmark agents probe, or a named site.

export interface KnownPlace {
  kind: 'landmark' | 'site';
  id: string;
  lat: number;
  lon: number;
  /**
   * RTT from a node standing at this place to the place itself (its own network, never probed):
   * the estimate given instead of 0 ms; the latency model's floor when absent.
   */
  sameSiteRttMs?: number;
}
