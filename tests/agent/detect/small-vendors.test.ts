// Iluvatar, MetaX, Moore Threads, Enflame: one real sample each, plus derived edge cases.
import { describe, expect, it } from 'vitest';
import { parseEfsmi } from '../../../agent/detect/enflame.ts';
import { parseIxsmi } from '../../../agent/detect/iluvatar.ts';
import { parseMxSmi } from '../../../agent/detect/metax.ts';
import { parseMthreadsGmi } from '../../../agent/detect/mthreads.ts';
import { FormatError } from '../../../agent/detect/types.ts';
import { fixture } from './fixture.ts';

describe('ixsmi (Iluvatar)', () => {
  it('reads the real BI-V150S table', () => {
    expect(parseIxsmi(fixture('iluvatar_ixsmi_BI-V150S.txt')).devices).toEqual([
      { vendor: 'iluvatar', model: 'Iluvatar BI-V150S', vendorIndex: 0, pciBusId: '00000000:8A:00.0', memoryMib: 32768, driverVersion: '4.1.0', health: 'ok', note: undefined },
    ]);
  });
  it('ERR! marks the GPU in error; garbage is a format error', () => {
    const text = fixture('iluvatar_ixsmi_BI-V150S.txt').replace('| 0%        Default    |', '| ERR!      Default    |');
    expect(parseIxsmi(text).devices[0]).toMatchObject({ health: 'error', note: 'ixsmi reports ERR!' });
    expect(() => parseIxsmi('\u0000\u00ff')).toThrow(FormatError);
  });
});

describe('mx-smi (MetaX)', () => {
  it('reads the real 4× MXC500 table (under load; the process table is not a device)', () => {
    const r = parseMxSmi(fixture('metax_mx-smi_MXC500.txt'));
    expect(r.devices.map((d) => [d.vendorIndex, d.model, d.pciBusId, d.memoryMib, d.driverVersion, d.firmwareVersion, d.health])).toEqual([
      [0, 'MXC500', '0000:05:00.0', 65536, '2.5.014', '1.13.5.0', 'ok'],
      [1, 'MXC500', '0000:08:00.0', 65536, '2.5.014', '1.13.5.0', 'ok'],
      [2, 'MXC500', '0000:0e:00.0', 65536, '2.5.014', '1.13.5.0', 'ok'],
      [3, 'MXC500', '0000:0f:00.0', 65536, '2.5.014', '1.13.5.0', 'ok'],
    ]);
  });
});

describe('mthreads-gmi (Moore Threads)', () => {
  it('reads the real S4000 table; used above total (IOMMU fault) is a warning', () => {
    expect(parseMthreadsGmi(fixture('mthreads_mthreads-gmi_S4000.txt')).devices).toEqual([
      {
        vendor: 'mthreads',
        model: 'MTT S4000',
        vendorIndex: 0,
        pciBusId: '00000000:08:00.0',
        memoryMib: 32768,
        driverVersion: '1.2.0',
        health: 'warning',
        note: 'memory used 44302 MiB exceeds total 32768 MiB: check IOMMU settings (Moore Threads FAQ)',
      },
    ]);
  });
  it('a healthy card is ok; no banner is a format error', () => {
    const text = fixture('mthreads_mthreads-gmi_S4000.txt').replace('44302MiB', '1024MiB');
    expect(parseMthreadsGmi(text).devices[0]!.health).toBe('ok');
    expect(() => parseMthreadsGmi('ID Name')).toThrow(FormatError);
  });
});

describe('efsmi (Enflame)', () => {
  it('reads the real 2× S60 table with firmware and serials', () => {
    expect(parseEfsmi(fixture('enflame_efsmi_S60.txt')).devices.map((d) => [d.vendorIndex, d.model, d.pciBusId, d.memoryMib, d.firmwareVersion, d.serial, d.driverVersion, d.health])).toEqual([
      [0, 'S60', '00:01:00.0', 49120, '33.6.2', 'A073640510015', '1.2.0.301', 'ok'],
      [1, 'S60', '00:09:00.0', 42976, '33.6.5', 'C807J40510285', '1.2.0.301', 'ok'],
    ]);
  });
  it('rejects output without the EFSMI banner', () => {
    expect(() => parseEfsmi('efsmi: error')).toThrow(FormatError);
  });
});
