/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals */
/**
 * In a real n8n (each pinned line), with the package installed from its tarball like a user would:
 * the node types load under their real names, and the credential's Test button (n8n's REST
 * credential test) is green for a good credential and red with our message for a wrong secret.
 * SSRF protection is on (2.x; 1.x has no such feature) with only 127.0.0.1 allowed. The test call
 * never follows a redirect (n8n would re-attach the token for another host), and an upstream
 * echoing the request does not put the secret into the message n8n shows.
 */
import { connect, createServer, type AddressInfo, type Server } from 'node:net';

import { CONNECTION_TEST_CALLS } from '../../nodes/MicrosoftDefender/helpers/hosts';
import { emulatorCredentials } from '../harness';
import { startEmulator, type EmulatorHandle } from '../emulator';
import {
	createUserFolder,
	importCredentials,
	installPackageTarball,
	setupOwnerAndLogin,
	startN8n,
	type N8nFolder,
	type N8nRest,
	type RunningN8n,
} from '../../scripts/n8n/harness';
import { e2eLines } from './global-setup';

const CRED_TYPE = 'microsoftDefenderEntraAppApi';

describe.each(e2eLines())('real n8n line %i: package load and credential test', (line) => {
	let emu: EmulatorHandle;
	let folder: N8nFolder;
	let srv: RunningN8n;
	let api: N8nRest;
	let relay: Server;

	beforeAll(async () => {
		emu = await startEmulator({ seed: 7 });
		// A TCP relay on 127.0.0.2 to the emulator: reachable loopback, but outside the SSRF allow list.
		const emuPort = Number(new URL(emu.httpUrl).port);
		relay = createServer((sock) => {
			const up = connect(emuPort, '127.0.0.1');
			sock.pipe(up).pipe(sock);
			up.on('error', () => sock.destroy());
			sock.on('error', () => up.destroy());
		});
		await new Promise<void>((r) => relay.listen(0, '127.0.0.2', () => r()));
		const unlisted = `http://127.0.0.2:${(relay.address() as AddressInfo).port}`;
		folder = await createUserFolder({ line });
		await installPackageTarball(folder, process.env.E2E_TARBALL as string);
		const good = emulatorCredentials(emu, { app: 'full', tenant: 'A' });
		await importCredentials(folder, [
			{ id: 'e2eCredGood00001', name: 'Emulator (good)', type: CRED_TYPE, data: good },
			{ id: 'e2eCredBadSecret', name: 'Emulator (wrong secret)', type: CRED_TYPE, data: { ...good, clientSecret: 'not-the-secret' } },
			{
				id: 'e2eCredUnlisted1',
				name: 'Emulator on an address SSRF protection blocks',
				type: CRED_TYPE,
				data: { ...good, customLoginUrl: unlisted, customMdeBaseUrl: unlisted, customGraphBaseUrl: unlisted },
			},
		]);
		srv = await startN8n(folder);
		api = await setupOwnerAndLogin(srv);
	});

	afterAll(async () => {
		await srv?.stop();
		await folder?.cleanup();
		await emu?.close();
		await new Promise((r) => (relay ? relay.close(r) : r(undefined)));
	});

	it('loads the nodes under the package name (not CUSTOM.*)', async () => {
		const types = await api.nodeTypeNames();
		expect(types).toEqual(
			expect.arrayContaining([
				'n8n-nodes-microsoft-defender.microsoftDefender',
				'n8n-nodes-microsoft-defender.microsoftDefenderTrigger',
			]),
		);
		expect(types.some((t) => t.startsWith('CUSTOM.'))).toBe(false);
	});

	it('credential test is green for a good credential and calls the emulator', async () => {
		emu.clearLog();
		const res = await api.testCredential({ id: 'e2eCredGood00001' });
		expect(res.status).toBe('OK');
		const tokenCalls = emu.log.filter((e) => e.family === 'entra' || /oauth2\/v2\.0\/token$/.test(e.path));
		expect(tokenCalls.length).toBeGreaterThanOrEqual(1);
		expect(tokenCalls.every((e) => e.status === 200)).toBe(true);
	});

	it('credential test is red with our message for a wrong secret', async () => {
		emu.clearLog();
		const res = await api.testCredential({ id: 'e2eCredBadSecret' });
		expect(res.status).toBe('Error');
		expect(res.message).toContain('AADSTS7000215');
		expect(emu.log.some((e) => /oauth2\/v2\.0\/token$/.test(e.path) && e.status === 401)).toBe(true);
	});

	it('a wrong secret typed over a credential that already holds a token is still red (the stored token is not reused)', async () => {
		expect((await api.testCredential({ id: 'e2eCredGood00001' })).status).toBe('OK'); // stores a token
		emu.clearLog();
		const res = await api.testCredential({ id: 'e2eCredGood00001', data: { clientSecret: 'typed-but-wrong' } });
		expect(res.status).toBe('Error');
		expect(emu.log.some((e) => /oauth2\/v2\.0\/token$/.test(e.path) && e.status === 401)).toBe(true);
	});

	it('the test call redirected (302) to another port: red, and the stored token never reaches the other host', async () => {
		emu.faults.clear();
		emu.trap.clear();
		emu.clearLog();
		emu.faults.next(1, 'redirect', { status: 302, path: CONNECTION_TEST_CALLS.graph.path });
		const res = await api.testCredential({ id: 'e2eCredGood00001' });
		expect(emu.log.some((e) => e.fault === 'redirect')).toBe(true);
		expect(emu.trap.requests.map((r) => ({ path: r.path, authorization: r.authorization }))).toEqual([]);
		expect(res.status).toBe('Error');
	});

	it('a token endpoint that echoes the request: the test message names the error, not the secret', async () => {
		emu.faults.clear();
		emu.clearLog();
		emu.faults.next(1, 'echo', '/oauth2/v2.0/token');
		const res = await api.testCredential({ id: 'e2eCredBadSecret' });
		expect(emu.log.some((e) => e.fault === 'echo' && (e.echoed ?? []).includes('not-the-secret'))).toBe(true);
		expect(res.status).toBe('Error');
		expect(res.message).toContain('AADSTS9002313');
		expect(res.message).not.toContain('not-the-secret');
	});

	if (line === 2) {
		it('SSRF protection is on: the same emulator via 127.0.0.2 (not allowed) is refused before any request', async () => {
			emu.clearLog();
			const res = await api.testCredential({ id: 'e2eCredUnlisted1' });
			expect(res.status).toBe('Error');
			expect(emu.log).toHaveLength(0);
		});
	} else {
		it('n8n 1.x has no SSRF protection: the same emulator via 127.0.0.2 is reached (documents the difference)', async () => {
			emu.clearLog();
			const res = await api.testCredential({ id: 'e2eCredUnlisted1' });
			expect(res.status).toBe('OK');
			expect(emu.log.length).toBeGreaterThan(0);
		});
	}
});
