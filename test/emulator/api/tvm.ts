/** MDE threat & vulnerability management: vulnerabilities, software, machine references. */
import { ApiError, type ApiRequest, type RouteImpl } from '../types';
import type { MachineRecord, SoftwareRecord, VulnerabilityRecord } from '../data/model';
import type { DefenderStore } from '../data/store';
import { ctxUrl, guard, notFound, ok, pageList } from './common';
import { softwareSpec, vulnerabilitySpec } from './specs';


const vulnOut = (v: VulnerabilityRecord) => ({ ...v });
const swOut = (s: SoftwareRecord) => {
	const { vulnIdx: _v, version: _ver, ...rest } = s;
	void _v;
	void _ver;
	return rest;
};
const machineRef = (m: MachineRecord) => ({ id: m.id, computerDnsName: m.computerDnsName, osPlatform: m.osPlatform, rbacGroupName: m.rbacGroupName, rbacGroupId: m.rbacGroupId });

function vuln(store: DefenderStore, id: string): VulnerabilityRecord {
	const v = store.vulnerabilities.find((x) => x.id.toLowerCase() === id.toLowerCase());
	if (!v) notFound('mde', 'Vulnerability', id);
	return v;
}
function sw(store: DefenderStore, id: string): SoftwareRecord {
	const s = store.software.find((x) => x.id.toLowerCase() === id.toLowerCase());
	if (!s) notFound('mde', 'Software', id);
	return s;
}
function machine(store: DefenderStore, id: string): MachineRecord {
	const m = store.getMachine(id);
	if (!m) notFound('mde', 'Machine', id);
	return m;
}
const softwareIndex = (store: DefenderStore, s: SoftwareRecord) => store.software.indexOf(s);

function list<T>(req: ApiRequest, store: DefenderStore, items: T[], context: string, project: (x: T) => Record<string, unknown>, maxTop = 10000) {
	return pageList(req, {
		family: 'mde',
		base: items,
		spec: { typeName: context, fields: {} },
		cacheName: `tvm:${req.path}`,
		store,
		project,
		context,
		maxTop,
		overTop: 'error',
		defaultPage: maxTop,
		nextLink: 'noTop',
	});
}

export const tvmRoutes: RouteImpl<DefenderStore>[] = [
	{
		method: 'GET',
		path: '/api/vulnerabilities',
		api: 'mde',
		handler: guard('mde', (req, store) =>
			pageList(req, {
				family: 'mde',
				base: store.vulnerabilities,
				spec: vulnerabilitySpec,
				cacheName: 'vulns',
				store,
				project: vulnOut,
				context: 'Vulnerabilities',
				maxTop: 8000,
				overTop: 'error',
				defaultPage: 8000,
				nextLink: 'noTop',
			}),
		),
	},
	{
		method: 'GET',
		path: '/api/vulnerabilities/machinesVulnerabilities',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const rows: Record<string, unknown>[] = [];
			for (const m of store.machines)
				for (const si of m.softwareIdx) {
					const s = store.software[si];
					for (const vi of s.vulnIdx) {
						const v = store.vulnerabilities[vi];
						rows.push({
							id: `${m.id}-_-${v.id}-_-${s.vendor}-_-${s.name}-_-${s.version}-_-`,
							cveId: v.id,
							machineId: m.id,
							fixingKbId: null,
							productName: s.name,
							productVendor: s.vendor,
							productVersion: s.version,
							severity: v.severity,
						});
					}
				}
			return pageList(req, {
				family: 'mde',
				base: rows,
				spec: {
					typeName: 'microsoft.windowsDefenderATP.api.MachineVulnerability',
					fields: Object.fromEntries(['id', 'cveId', 'machineId', 'fixingKbId', 'productName', 'productVersion', 'severity', 'productVendor'].map((k) => [k, { type: 'string' as const, get: (r: Record<string, unknown>) => r[k] }])),
				},
				cacheName: 'machinesVulnerabilities',
				store,
				project: (r) => r,
				context: 'MachineVulnerabilities',
				maxTop: 10000,
				overTop: 'error',
				defaultPage: 10000,
				nextLink: 'noTop',
			});
		}),
	},
	{
		method: 'GET',
		path: '/api/vulnerabilities/:id',
		api: 'mde',
		handler: guard('mde', (req, store) => ok({ '@odata.context': ctxUrl(req, 'mde', 'Vulnerabilities/$entity'), ...vulnOut(vuln(store, req.params.id)) })),
	},
	{
		method: 'GET',
		path: '/api/vulnerabilities/:id/machineReferences',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const v = vuln(store, req.params.id);
			const vi = store.vulnerabilities.indexOf(v);
			const ms = store.machines.filter((m) => m.softwareIdx.some((si) => store.software[si].vulnIdx.includes(vi)));
			return list(req, store, ms, 'MachineReferences', machineRef);
		}),
	},
	{
		method: 'GET',
		path: '/api/machines/:id/vulnerabilities',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const m = machine(store, req.params.id);
			const seen = new Set<number>();
			for (const si of m.softwareIdx) for (const vi of store.software[si].vulnIdx) seen.add(vi);
			return list(req, store, [...seen].sort((a, b) => a - b).map((i) => store.vulnerabilities[i]), 'Vulnerabilities', vulnOut);
		}),
	},
	{
		method: 'GET',
		path: '/api/machines/:id/software',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const m = machine(store, req.params.id);
			return list(req, store, m.softwareIdx.map((i) => store.software[i]), 'Software', swOut);
		}),
	},
	{
		method: 'GET',
		path: '/api/software',
		api: 'mde',
		handler: guard('mde', (req, store) =>
			pageList(req, {
				family: 'mde',
				base: store.software,
				spec: softwareSpec,
				cacheName: 'software',
				store,
				project: swOut,
				context: 'Software',
				maxTop: 10000,
				overTop: 'error',
				defaultPage: 10000,
				nextLink: 'noTop',
			}),
		),
	},
	{
		method: 'GET',
		path: '/api/software/:id',
		api: 'mde',
		handler: guard('mde', (req, store) => ok({ '@odata.context': ctxUrl(req, 'mde', 'Software/$entity'), ...swOut(sw(store, req.params.id)) })),
	},
	{
		method: 'GET',
		path: '/api/software/:id/machineReferences',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const s = sw(store, req.params.id);
			const si = softwareIndex(store, s);
			return list(req, store, store.machines.filter((m) => m.softwareIdx.includes(si)), 'MachineReferences', machineRef);
		}),
	},
	{
		method: 'GET',
		path: '/api/software/:id/vulnerabilities',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const s = sw(store, req.params.id);
			return list(req, store, s.vulnIdx.map((i) => store.vulnerabilities[i]), 'Vulnerabilities', vulnOut);
		}),
	},
	{
		method: 'GET',
		path: '/api/software/:id/distributions',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const s = sw(store, req.params.id);
			if (!s) throw new ApiError(404, 'ResourceNotFound', 'Software not found');
			return ok({
				'@odata.context': ctxUrl(req, 'mde', 'Collection(microsoft.windowsDefenderATP.api.Distribution)'),
				value: [{ version: s.version, installations: s.exposedMachines, vulnerabilities: s.weaknesses }],
			});
		}),
	},
];
