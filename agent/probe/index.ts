// Network RTT measurement for the agent: statistics, the generic probe loop, TCP connect probes.
export { rttStats, quantile, quantileSorted, jitter, RttWindow, type RttSample } from './stats.ts';
export { probe, ProbeAbortedError, ProbeTimeoutError, MAX_PROBE_COUNT, MIN_PROBE_INTERVAL_MS, type ProbeOptions, type RttOnce } from './runner.ts';
export { probeTcp, probeTcpTargets, tcpConnectOnce, parseHostPort, formatHostPort, TargetFormatError, type HostPort, type TcpTarget, type TcpProbeOptions } from './tcp.ts';
