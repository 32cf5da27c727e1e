/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, no-console */
/**
 * `npm run bench [-- --quick] [--only alerts-mde,hunting] [--runs N] [--no-docs]`
 *
 * For every case: starts the emulator in its own process (bench/emulator.ts), runs the case's
 * timing process (bench/case.ts: warm-up, then node and baseline interleaved), then, for cases
 * that measure memory, one fresh process per side. Writes bench/results.json (git-ignored) and
 * prints the Markdown table; a full run (without --quick) also replaces the results section of
 * docs/performance.md. Exit code 1 when a case could not run; targets are reported, never
 * asserted (CI runs --quick only to prove the suite runs).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

import { CASES, type CaseDef, type CaseResults, type MemoryResult, type Row } from './cases';
import { median, spawnEmulator, spawnTs } from './lib';

const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

interface CaseReport {
	name: string;
	title: string;
	method: string;
	seconds: number;
	emulatorGenMs?: number;
	rows?: Array<Row & { median: number; min: number; max: number }>;
	error?: string;
}

function runChild(args: string[]): Promise<Record<string, unknown>> {
	return new Promise((resolve, reject) => {
		const child = spawnTs('bench/case.ts', args);
		let out = '';
		let err = '';
		child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
		child.stderr?.on('data', (d: Buffer) => {
			const s = d.toString();
			err += s;
			process.stderr.write(s);
		});
		child.stdin?.end();
		child.on('exit', (code) => {
			const m = /BENCH_RESULT (\{.*\})/.exec(out);
			if (code === 0 && m) resolve(JSON.parse(m[1]) as Record<string, unknown>);
			else
				reject(
					new Error(
						`case process exited with ${code}: ${err.trim().split('\n').slice(-6).join(' | ')}`,
					),
				);
		});
	});
}

function fmt(v: number, unit: string): string {
	if (!Number.isFinite(v)) return 'n/a';
	if (unit === '×') return v.toFixed(2);
	if (unit === 'MiB') return v.toFixed(1);
	if (unit === 'ms') return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1);
	return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(2);
}

function markdown(reports: CaseReport[], meta: Record<string, unknown>): string {
	const lines: string[] = [];
	lines.push(
		`Run: ${meta.date} · \`${meta.command}\` · ${meta.machine} · load average ${meta.loadAverageStart} at start, ${meta.loadAverageEnd} at end · total ${meta.totalSeconds} s`,
	);
	lines.push('');
	reports.forEach((r, k) => {
		lines.push(`### ${k + 1}. ${r.title}`);
		lines.push('');
		if (r.error) {
			lines.push(`**Not measured:** ${r.error}`);
			lines.push('');
			return;
		}
		lines.push('| Metric | Median | Min | Max | Unit | Target | Met |');
		lines.push('|---|---:|---:|---:|---|---|---|');
		for (const row of r.rows ?? []) {
			const met = row.pass === undefined ? '' : row.pass ? 'yes' : '**no**';
			lines.push(
				`| ${row.metric} | ${fmt(row.median, row.unit)} | ${fmt(row.min, row.unit)} | ${fmt(row.max, row.unit)} | ${row.unit} | ${row.target ?? ''} | ${met} |`,
			);
		}
		lines.push('');
		lines.push(`<sub>${r.method} (${r.seconds} s)</sub>`);
		lines.push('');
	});
	return lines.join('\n');
}

async function runCase(
	def: CaseDef,
	k: number,
	total: number,
	quick: boolean,
	runsOverride?: number,
): Promise<CaseReport> {
	const label = `${k + 1}/${total}`;
	const t0 = Date.now();
	const report: CaseReport = {
		name: def.name,
		title: def.title(quick),
		method: def.method,
		seconds: 0,
	};
	const startEmulator = async () => {
		console.error(`[bench ${label}] ${report.title}: starting the emulator (own process)…`);
		const emu = await spawnEmulator(def.emulator(quick));
		report.emulatorGenMs = emu.genMs;
		console.error(
			`[bench ${label}] emulator ready at ${emu.url} (data generated in ${emu.genMs} ms)`,
		);
		return emu;
	};
	const args = (url: string) => ['--url', url, '--label', label, ...(quick ? ['--quick'] : [])];
	let emu = await startEmulator();
	try {
		let metrics: Record<string, number[]> = {};
		if (def.freshEmulatorPerRun) {
			const runs = runsOverride ?? def.runs(quick);
			for (let r = 0; r < runs; r++) {
				if (r > 0) {
					await emu.close();
					emu = await startEmulator();
				}
				const one = (await runChild([
					def.name,
					...args(emu.url),
					'--mode',
					'timing',
					'--runs',
					'1',
					'--run-offset',
					String(r),
					'--run-total',
					String(runs),
				])) as {
					metrics: Record<string, number[]>;
				};
				for (const [k, v] of Object.entries(one.metrics)) (metrics[k] ??= []).push(...v);
			}
		} else {
			metrics = (
				(await runChild([
					def.name,
					...args(emu.url),
					'--mode',
					'timing',
					...(runsOverride ? ['--runs', String(runsOverride)] : []),
				])) as {
					metrics: Record<string, number[]>;
				}
			).metrics;
		}
		const results: CaseResults = { timing: metrics, memory: { node: [], baseline: [] } };
		if (def.memory) {
			const memoryRuns = quick ? 1 : 3;
			for (let m = 0; m < memoryRuns; m++) {
				for (const side of m % 2
					? (['baseline', 'node'] as const)
					: (['node', 'baseline'] as const)) {
					console.error(
						`[bench ${label}] peak RSS, ${side}, fresh process ${m + 1}/${memoryRuns}…`,
					);
					results.memory[side].push(
						(await runChild([
							def.name,
							...args(emu.url),
							'--mode',
							'memory',
							'--side',
							side,
						])) as unknown as MemoryResult,
					);
				}
			}
		}
		report.rows = def.rows(results, quick).map((row) => {
			const values = (row.values ?? []).filter((v) => typeof v === 'number');
			return {
				...row,
				values,
				median: median(values),
				min: Math.min(...values),
				max: Math.max(...values),
			};
		});
	} catch (e) {
		report.error = e instanceof Error ? e.message : String(e);
		console.error(`[bench ${label}] FAILED: ${report.error}`);
	} finally {
		await emu.close();
	}
	report.seconds = Math.round((Date.now() - t0) / 1000);
	return report;
}

async function main() {
	const argv = process.argv.slice(2);
	const quick = argv.includes('--quick');
	const onlyArg = argv.indexOf('--only');
	const only = onlyArg >= 0 ? argv[onlyArg + 1].split(',') : undefined;
	const cases = CASES.filter((c) => !only || only.includes(c.name));
	const runsArg = argv.indexOf('--runs');
	const runsOverride = runsArg >= 0 ? Number(argv[runsArg + 1]) : undefined;
	if (runsOverride !== undefined && !(Number.isInteger(runsOverride) && runsOverride > 0))
		throw new Error('--runs needs a whole number ≥ 1');
	if (only && cases.length !== only.length)
		throw new Error(`unknown case in --only; known: ${CASES.map((c) => c.name).join(', ')}`);

	const cpus = os.cpus();
	const machine = `${cpus.length} × ${cpus[0]?.model.trim() ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
	const t0 = Date.now();
	const loadStart = os.loadavg()[0];
	console.error(
		`[bench] ${cases.length} cases${quick ? ' (quick sizes)' : ''} on ${machine}; load average ${loadStart.toFixed(2)}`,
	);

	const reports: CaseReport[] = [];
	for (const [k, def] of cases.entries())
		reports.push(await runCase(def, k, cases.length, quick, runsOverride));

	const meta = {
		date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
		command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
		machine,
		cpus: cpus.length,
		loadAverageStart: Number(loadStart.toFixed(2)),
		loadAverageEnd: Number(os.loadavg()[0].toFixed(2)),
		totalSeconds: Math.round((Date.now() - t0) / 1000),
		quick,
	};
	fs.mkdirSync('bench', { recursive: true });
	fs.writeFileSync(
		'bench/results.json',
		JSON.stringify({ ...meta, cases: reports }, null, 2) + '\n',
	);
	const md = markdown(reports, meta);
	console.error(`[bench] wrote bench/results.json (${meta.totalSeconds} s)`);

	if (!quick && !argv.includes('--no-docs') && !only) {
		const docPath = 'docs/performance.md';
		const doc = fs.existsSync(docPath) ? fs.readFileSync(docPath, 'utf8') : '';
		const section = `${START}\n${md}\n${END}`;
		const next =
			doc.includes(START) && doc.includes(END)
				? doc.slice(0, doc.indexOf(START)) + section + doc.slice(doc.indexOf(END) + END.length)
				: `${doc}\n${section}\n`;
		fs.writeFileSync(docPath, next);
		console.error(`[bench] updated ${docPath}`);
	}
	console.log(md);
	const failed = reports.filter((r) => r.error);
	if (failed.length) {
		console.error(
			`[bench] ${failed.length} case(s) could not run: ${failed.map((r) => r.name).join(', ')}`,
		);
		process.exit(1);
	}
}

main().catch((e) => {
	console.error(e instanceof Error ? e.stack : e);
	process.exit(1);
});
