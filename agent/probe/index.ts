// Network RTT measurement for the agent: statistics, the generic probe loop, TCP connect probes
// (landmarks), the UDP peer-probe prober and the responder peers probe.
export { rttStats, quantile, quantileSorted, jitter, RttWindow, type RttSample } from './stats.ts';
export { probe, ProbeAbortedError, ProbeTimeoutError, MAX_PROBE_COUNT, MIN_PROBE_INTERVAL_MS, type ProbeOptions, type RttOnce } from './runner.ts';
export { probeTcp, probeTcpTargets, tcpConnectOnce, parseHostPort, formatHostPort, TargetFormatError, type HostPort, type TcpTarget, type TcpProbeOptions } from './tcp.ts';
export { probeUdpPeers, UdpProber, type UdpProbeOptions } from './udp.ts';
export { UdpProbeResponder, TokenBucket, advertisedProbeAddress, type ProbeResponderHandle, type ProbeResponderOptions, type ProbeResponderStats } from './responder.ts';
