import { describe, expect, it } from 'vitest';
import { formatHostPort, parseHostPort, peerOf, peerTarget, TargetFormatError } from '../../protocol/peers.ts';

describe('peer naming', () => {
  it('targets a node at the probe address its birth advertised, and only then', () => {
    expect(peerTarget('fz-n1', '10.0.0.7:7947')).toEqual({ nodeId: 'fz-n1', address: '10.0.0.7:7947' });
    expect(peerTarget('fz-n1', '[fd00::7]:7947')).toEqual({ nodeId: 'fz-n1', address: '[fd00::7]:7947' });
    expect(peerTarget('fz-n1', '')).toBeNull();
    expect(peerTarget('fz-n1', undefined)).toBeNull();
    expect(peerTarget('fz-n1', 'fz-n1')).toBeNull();
    expect(peerTarget('fz-n1', '10.0.0.7:0')).toBeNull();
    expect(peerTarget('a/b', '10.0.0.7:7947')).toBeNull();
  });

  it('reads the peer node id back from a peer RTT only', () => {
    expect(peerOf({ target: 'fz-n1', targetKind: 'peer' })).toBe('fz-n1');
    expect(peerOf({ target: 'lm-1', targetKind: 'landmark' })).toBeNull();
    expect(peerOf({ target: 'orchestrator', targetKind: 'orchestrator' })).toBeNull();
    expect(peerOf({ target: 'fz-n1:22', targetKind: 'peer' })).toBeNull();
  });

  it('parses and formats host:port', () => {
    expect(parseHostPort('[::1]:8883')).toEqual({ host: '::1', port: 8883 });
    expect(formatHostPort({ host: '::1', port: 8883 })).toBe('[::1]:8883');
    expect(() => parseHostPort('::1:8883')).toThrow(TargetFormatError);
    expect(() => parseHostPort('host:70000')).toThrow(/port 1\.\.65535/);
  });
});
