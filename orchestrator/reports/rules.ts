// The city plan's rules in numbers (Fuzhou AI action plan 2024–2026, as condensed in the
// project's city-plan notes), each with the name a report cites next to the figure it produced.
export const RULES = {
  targetPflops: { value: 400, cite: 'target: ≥400 PFLOPS FP16 (other precisions converted) by 2026' },
  supplyMinPflops: { value: 100, cite: 'supply subsidy: site nominal ≥100 P FP16-eq' },
  supplyMinDomesticShare: { value: 0.8, cite: 'supply subsidy: ≥80 % of nominal compute on domestic chips' },
  supplyCnyPerPYear: { value: 50_000, cite: 'supply subsidy: CNY 50,000 per P per year, on compute sold and used' },
  supplyCityCapCnyPerYear: { value: 10_000_000, cite: 'supply subsidy: city total capped at CNY 10 M a year (pro rata when exceeded)' },
  demandMinCny: { value: 100_000, cite: 'demand subsidy: annual purchases ≥ CNY 100,000' },
  demandProvincialCny: { value: 300_000, cite: 'demand subsidy: purchases ≥ CNY 300,000 apply for the provincial subsidy; the city tops up above the provincial cap' },
  demandRates: { value: [0.5, 0.4, 0.3] as const, cite: 'demand subsidy: 50 % / 40 % / 30 % of fees in years 1 / 2 / 3 on the platform' },
  demandCapCny: { value: 500_000, cite: 'demand subsidy: at most CNY 500,000 per enterprise per year' },
} as const;

export const HOURS_PER_YEAR = 8760;
