/**
 * The package's tables (permissions, page limits, pacing quotas, hosts) against the emulator's
 * own statement of Microsoft's contract (test/emulator/contract.ts, core/clouds.ts). The two are
 * written separately on purpose; any disagreement fails here, so one side cannot silently
 * inherit the other's mistake.
 */
import { API_FAMILIES, CLOUDS, type CloudName } from '../../nodes/MicrosoftDefender/helpers/hosts';
import { PAGE_LIMITS, QUOTAS, type QuotaKey } from '../../nodes/MicrosoftDefender/helpers/limits';
import { OPERATION_PERMISSIONS } from '../../nodes/MicrosoftDefender/actions/operations';
import { ENDPOINT_PERMISSIONS, type EndpointKey } from '../../nodes/MicrosoftDefender/helpers/permissions';
import { quotaFor } from '../../nodes/MicrosoftDefender/transport';
import { contractRow, type EndpointContract } from '../emulator/contract';
import { EMULATED_CLOUDS } from '../emulator/core/clouds';
import { DEFAULT_QUOTAS } from '../emulator/core/quotas';

function rowOf(call: string): EndpointContract {
	const [method, path] = call.split(' ');
	const row = contractRow(method, path);
	if (!row) throw new Error(`The emulator's contract has no row for ${call}`);
	return row;
}

/** The package's pacing key for each emulator quota bucket (the one mapping this test owns). */
const BUCKET_OF: Record<QuotaKey, string> = {
	mde: 'mde',
	mdeHunting: 'mde-hunting',
	graph: 'graph',
	graphHunting: 'graph-hunting',
	mdePackageUri: 'mde-package-uri',
	mdeMachineVulnerabilities: 'mde-machine-vulnerabilities',
	mdeLiveResponse: 'mde-live-response',
};

describe('package tables agree with the emulator contract', () => {
	it.each(Object.keys(ENDPOINT_PERMISSIONS) as EndpointKey[])('permissions of %s', (call) => {
		const row = rowOf(call);
		const mine = ENDPOINT_PERMISSIONS[call];
		expect({ api: mine.api, roles: [...mine.roles].sort() }).toEqual({ api: row.api, roles: [...row.roles].sort() });
	});

	it('every operation call is in the endpoint table (so its permissions are derived, not typed)', () => {
		for (const p of OPERATION_PERMISSIONS) {
			for (const call of [...p.calls, ...(p.optional ?? []).map((o) => o.call)]) {
				expect(ENDPOINT_PERMISSIONS[call]).toBeDefined();
				expect([p.displayName, call, ENDPOINT_PERMISSIONS[call].api]).toEqual([p.displayName, call, p.api]);
			}
		}
	});

	it.each(Object.entries(PAGE_LIMITS))('page limits of %s', (_name, pl) => {
		const row = rowOf(pl.call);
		expect(pl.api).toBe(row.api);
		if (pl.style === 'none') {
			// Documents no options: the package must send none.
			expect(row.query).toEqual([]);
			return;
		}
		expect(row.query).toEqual(expect.arrayContaining(pl.style === 'skip' ? ['$top', '$skip'] : ['$top']));
		expect(row.pageCap).toBeDefined();
		expect(pl.maxPageSize).toBe(row.pageCap!.max);
	});

	it.each(Object.keys(ENDPOINT_PERMISSIONS) as EndpointKey[])('pacing of %s uses the endpoint’s documented limit', (call) => {
		const row = rowOf(call);
		const [, path] = call.split(' ');
		const key = quotaFor({ api: row.api as 'mde' | 'graph', path: path.replace(/:id/g, '0123456789abcdef0123456789abcdef01234567') });
		expect(BUCKET_OF[key]).toBe(row.limit!.bucket);
		const emulated = DEFAULT_QUOTAS[row.limit!.bucket as keyof typeof DEFAULT_QUOTAS];
		expect(QUOTAS[key].perMinute).toBe(emulated.perMinute);
		// No hourly limit stated: the package's hourly window is just the minute limit × 60.
		expect(QUOTAS[key].perHour).toBe(emulated.perHour ?? emulated.perMinute! * 60);
	});

	it.each(Object.keys(CLOUDS) as CloudName[])('hosts and token audiences of the %s cloud', (cloud) => {
		const mine = CLOUDS[cloud];
		const emulated = EMULATED_CLOUDS[cloud];
		expect(mine.authority).toBe(emulated.authority);
		for (const family of API_FAMILIES) {
			expect([family, mine.api[family].baseUrl]).toEqual([family, emulated.api[family].host]);
			expect([family, mine.api[family].scope]).toEqual([family, `${emulated.api[family].resource}/.default`]);
		}
	});

	it('the two cloud tables cover the same clouds', () => {
		expect(Object.keys(CLOUDS).sort()).toEqual(Object.keys(EMULATED_CLOUDS).sort());
	});
});
