/**
 * Knobs for tests and benchmarks. `timeScale` compresses the pacing clock (60 = a minute of
 * quota passes in a second), matching the emulator's time scale.
 */
export const transportTuning = {
	pacing: true,
	timeScale: 1,
	/** Share of a documented quota the pacer uses, leaving room for clock skew and other clients. */
	paceSafety: 0.9,
	/** First backoff step for 5xx/resets; doubles per retry, with jitter. */
	baseBackoffMs: 1000,
	/** Backoff for 429 without Retry-After. */
	throttleBackoffMs: 10000,
	/** Hunting queries running at once per tenant (they share the tenant's CPU quota). */
	huntingConcurrency: 3,
};
