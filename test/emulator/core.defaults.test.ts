import { startEmulator, type EmulatorHandle } from './index';
import { FIXTURE } from './core/fixture';
import { getToken, request } from './core/testkit';

const MDE = 'https://api.securitycenter.microsoft.com/.default';
const XDR = 'https://api.security.microsoft.com/.default';

/** The core wired to the default Defender routes and store (EMU-DATA), end to end. */
let emu: EmulatorHandle;
beforeAll(async () => {
	emu = await startEmulator({ seed: 7, sizes: { alerts: 50, machines: 5, incidents: 10 } });
});
afterAll(async () => {
	await emu.close();
});

test('default routes: MDE alerts with an MDE token, 403 with the XDR token, 401 without', async () => {
	const mde = await getToken(emu.httpUrl, { scope: MDE });
	const xdr = await getToken(emu.httpUrl, { scope: XDR });
	const ok = await request(`${emu.httpUrl}/api/alerts?$top=5`, {
		headers: { authorization: `Bearer ${mde}` },
	});
	expect(ok.status).toBe(200);
	expect(ok.json.value).toHaveLength(5);
	const sibling = await request(`${emu.httpUrl}/api/alerts`, {
		headers: { authorization: `Bearer ${xdr}` },
	});
	expect(sibling.status).toBe(403);
	expect(sibling.json.error.message).toMatch(
		/^Missing application roles\. API required roles: .*, application roles: /,
	);
	expect((await request(`${emu.httpUrl}/api/alerts`)).status).toBe(401);
});

test('control route adds an alert to the tenant store, visible through the API', async () => {
	const mde = await getToken(emu.httpUrl, { scope: MDE, tenant: FIXTURE.tenants.B.domain });
	const before = emu.store(FIXTURE.tenants.B.id).counts().alerts as number;
	const added = await request(`${emu.httpUrl}/_control/tenants/B/alerts`, {
		method: 'POST',
		body: { partial: { severity: 'High', title: 'emulator core default wiring' } },
	});
	expect(added.status).toBe(200);
	expect(emu.store(FIXTURE.tenants.B.id).counts().alerts).toBe(before + 1);
	const got = await request(`${emu.httpUrl}/api/alerts/${encodeURIComponent(added.json.id)}`, {
		headers: { authorization: `Bearer ${mde}` },
	});
	expect(got.status).toBe(200);
	expect(got.json.title).toBe('emulator core default wiring');
	// Tenant A's store is separate.
	const a = await getToken(emu.httpUrl, { scope: MDE });
	const other = await request(`${emu.httpUrl}/api/alerts/${encodeURIComponent(added.json.id)}`, {
		headers: { authorization: `Bearer ${a}` },
	});
	expect(other.status).toBe(404);
});
