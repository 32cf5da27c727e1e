/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-dangerous-functions -- test spawns the emulator CLI */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { FIXTURE } from './core/fixture';
import { getToken, request } from './core/testkit';

/** `npm run emulator` (tsx test/emulator/cli.ts) starts, prints its URLs, serves, and stops on SIGTERM. */
let child: ChildProcess | undefined;
afterAll(() => {
	if (child && child.exitCode === null) child.kill('SIGTERM');
});

test('the CLI prints EMULATOR_READY with working URLs and the fixture credentials', async () => {
	const root = path.join(__dirname, '..', '..');
	child = spawn(
		path.join(root, 'node_modules', '.bin', 'tsx'),
		[
			'test/emulator/cli.ts',
			'--alerts',
			'20',
			'--machines',
			'3',
			'--incidents',
			'5',
			'--time-scale',
			'60',
			'--token-lifetime',
			'600',
		],
		{ cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
	);
	let out = '';
	let err = '';
	child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
	const ready = await new Promise<{ httpUrl: string; httpsUrl: string }>((resolve, reject) => {
		child!.stdout!.on('data', (c: Buffer) => {
			out += c.toString();
			const m = /EMULATOR_READY (\{.*\})/.exec(out);
			if (m) resolve(JSON.parse(m[1]));
		});
		child!.on('exit', (code) => reject(new Error(`cli exited ${code}: ${err}`)));
	});
	expect(out).toContain(FIXTURE.apps.full.clientId);
	expect(out).toContain(FIXTURE.tenants.A.domain);
	expect(ready.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
	expect((await request(`${ready.httpsUrl}/_control/health`)).json.ok).toBe(true);
	const r = await request(`${ready.httpUrl}/${FIXTURE.tenants.A.id}/oauth2/v2.0/token`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: `grant_type=client_credentials&client_id=${FIXTURE.apps.full.clientId}&client_secret=${FIXTURE.apps.full.secret}&scope=${encodeURIComponent('https://graph.microsoft.com/.default')}`,
	});
	expect(r.json.expires_in).toBe(600);
	const token = await getToken(ready.httpUrl, {
		scope: 'https://api.securitycenter.microsoft.com/.default',
	});
	const counts = await request(`${ready.httpUrl}/_control/tenants/A/counts`);
	expect(counts.json.alerts).toBe(20);
	expect(
		(
			await request(`${ready.httpUrl}/api/alerts`, {
				headers: { authorization: `Bearer ${token}` },
			})
		).status,
	).toBe(200);
	const exited = new Promise<number | null>((resolve) =>
		child!.on('exit', (code) => resolve(code)),
	);
	child.kill('SIGTERM');
	expect(await exited).toBe(0);
});
