/* eslint-disable @n8n/community-nodes/no-restricted-globals, no-console */
/** Handler-only cost of serving 100,000 MDE alerts in pages of 10,000 (figures printed, not asserted). */
import { routes } from './api';
import { makeStore } from './api.helpers';
import type { ApiRequest } from './types';

test('100,000 alerts in 10 pages: handler cost per page (first pass and cached)', async () => {
	const s = makeStore({ alerts: 100000, incidents: 30000, machines: 500 });
	const route = routes.find((r) => r.method === 'GET' && r.path === '/api/alerts')!;
	for (const pass of ['first', 'cached', 'filtered+ordered']) {
		const c0 = process.cpuUsage();
		const t0 = Date.now();
		let bytes = 0;
		let pages = 0;
		let skip: number | undefined = 0;
		while (skip !== undefined) {
			const query: Record<string, string> = pass === 'filtered+ordered' ? { $filter: 'lastUpdateTime ge 2026-10-01T00:00:00Z', $orderby: 'lastUpdateTime asc' } : {};
			if (skip) query.$skip = String(skip);
			const req = { method: 'GET', path: '/api/alerts', params: {}, query, body: undefined, headers: {}, auth: { tenantId: s.tenantId, appId: 'a', audience: 'x', roles: [] }, now: s.now(), origin: 'http://emu.test' } as ApiRequest;
			const r = await route.handler(req, s);
			const raw = r.raw as string;
			bytes += raw.length;
			pages++;
			const m = /"@odata\.nextLink":"[^"]*\$skip=(\d+)"\}$/.exec(raw);
			skip = m ? Number(m[1]) : undefined;
		}
		const cpu = process.cpuUsage(c0);
		console.log(`${pass} pass: ${pages} pages, ${(bytes / 1e6).toFixed(0)} MB, ${Date.now() - t0} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU`);
		expect(pages).toBe(10);
	}
});
