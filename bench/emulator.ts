/* eslint-disable @n8n/community-nodes/no-restricted-globals, no-console */
/**
 * Bench-only emulator launcher: `tsx bench/emulator.ts '<EmulatorOptions as JSON>'`.
 * Extra option `historyAgeMs`: generate the data with the emulator clock set back by that much
 * (so the newest generated change is that old), then return to real time.
 * Runs the emulator in its own process (so its CPU time and memory stay out of the measured
 * client), generates tenant A's data up front, then prints one line
 * `EMULATOR_READY {"httpUrl":…,"pid":…,"genMs":…}` and serves until SIGTERM/SIGINT or until
 * its parent closes stdin.
 */
import { FIXTURE, startEmulator, type EmulatorOptions } from '../test/emulator';

async function main() {
	const { historyAgeMs, ...opts } = JSON.parse(process.argv[2] ?? '{}') as EmulatorOptions & {
		historyAgeMs?: number;
	};
	const emu = await startEmulator({ port: 0, httpsPort: 0, ...opts });
	const t0 = Date.now();
	if (historyAgeMs) emu.setNow(Date.now() - historyAgeMs);
	emu.store(FIXTURE.tenants.A.id);
	if (historyAgeMs) emu.useRealTime();
	const genMs = Date.now() - t0;
	console.log(
		`EMULATOR_READY ${JSON.stringify({ httpUrl: emu.httpUrl, pid: process.pid, genMs })}`,
	);
	const stop = async () => {
		await emu.close();
		process.exit(0);
	};
	process.on('SIGINT', () => void stop());
	process.on('SIGTERM', () => void stop());
	process.stdin.on('end', () => void stop());
	process.stdin.resume();
}

main().catch((e) => {
	console.error(e instanceof Error ? e.stack : e);
	process.exit(1);
});
