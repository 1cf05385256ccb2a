import { describe, expect, it } from 'vitest';
import { parseCnmon } from '../../../agent/detect/cambricon.ts';
import { FormatError } from '../../../agent/detect/types.ts';
import { fixture } from './fixture.ts';

describe('cnmon', () => {
  it('reads the real 2× MLU370-X8 table', () => {
    const card = (i: number, bus: string) => ({ vendor: 'cambricon', model: 'MLU370-X8', vendorIndex: i, pciBusId: bus, memoryMib: 23374, driverVersion: '5.10.13', firmwareVersion: '1.1.6', health: 'ok', note: undefined });
    expect(parseCnmon(fixture('cambricon_cnmon_MLU370-X8.txt'))).toEqual({ devices: [card(0, '0000:39:00.0'), card(1, '0000:3D:00.0')], warnings: [] });
  });

  it('ECC errors are a warning, ERR! an error', () => {
    const text = fixture('cambricon_cnmon_MLU370-X8.txt');
    expect(parseCnmon(text.replace('| 0%                N/A |\n|  0%   39C', '| 0%                  7 |\n|  0%   39C')).devices[1]).toMatchObject({ health: 'warning', note: '7 ECC errors' });
    expect(parseCnmon(text.replace('| 0%                N/A |', '| ERR!              N/A |')).devices[0]!.health).toBe('error');
  });

  it('rejects output without the CNMON banner', () => {
    expect(() => parseCnmon('cnmon: command failed')).toThrow(FormatError);
  });
});
