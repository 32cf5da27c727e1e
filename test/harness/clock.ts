/**
 * The process clock, shifted: `Date.now()` keeps flowing in real time but can be moved to any
 * instant. The trigger reads the wall clock for its closed windows (`now − settle`); the emulator,
 * the transport's pacer and token cache read the same `Date.now()`, so all of them move together,
 * as on a machine whose time has passed. Tests set the poll time instead of waiting for it.
 */
export interface ShiftedClock {
	/** Make `Date.now()` return `ms` now (and flow on from there). */
	set(ms: number): void;
	restore(): void;
}

export function shiftClock(): ShiftedClock {
	const real = Date.now.bind(Date);
	let offset = 0;
	const spy = jest.spyOn(Date, 'now').mockImplementation(() => real() + offset);
	return {
		set(ms: number) {
			offset = ms - real();
		},
		restore() {
			spy.mockRestore();
		},
	};
}
