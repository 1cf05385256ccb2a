// A fixed place the latency model knows: a landmark agents probe, or a named site.

export interface KnownPlace {
  kind: 'landmark' | 'site';
  id: string;
  lat: number;
  lon: number;
}
