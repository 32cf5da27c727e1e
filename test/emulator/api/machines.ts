/** MDE machines, tags, logged-on users, machine alerts, findbyip/findbytag, machine actions, package download. */
import { ApiError, type ApiRequest, type RouteImpl } from '../types';
import { type MachineRecord, canonTime, iso7, timeMs } from '../data/model';
import type { DefenderStore } from '../data/store';
import { zipOneFile } from '../data/zip';
import { expandSet } from '../odata';
import { ctxUrl, guard, notFound, ok, pageList, q, requireKey } from './common';
import { machineActionSpec, machineSpec, mdeAlertSpec } from './specs';

function getMachine(store: DefenderStore, id: string): MachineRecord {
	const m = store.getMachine(id);
	if (!m) notFound('mde', 'Machine', id);
	return m;
}

function machineList(req: ApiRequest, store: DefenderStore, base: MachineRecord[]) {
	const r = pageList(req, {
		family: 'mde',
		base,
		spec: machineSpec,
		cacheName: base === store.machines ? 'machines' : `machines:${req.path}`,
		store,
		project: (m) => store.toMdeMachine(m),
		context: 'Machines',
		maxTop: 10000,
		overTop: 'error',
		defaultPage: 10000,
		nextLink: 'noTop',
		select: true,
	});
	return r;
}

/** `findbyip(ip='10.1.2.3',timestamp=2024-09-22T08:44:05Z)` — routed through `/api/machines/:id`. */
function findByIp(req: ApiRequest, store: DefenderStore, seg: string) {
	const m = /^findbyip\(\s*ip\s*=\s*'([^']*)'\s*,\s*timestamp\s*=\s*'?([^')]*)'?\s*\)$/i.exec(seg);
	if (!m) throw new ApiError(400, 'InvalidInput', `Invalid findbyip call '${seg}'. Expected findbyip(ip='{IP}',timestamp={time}).`);
	const ts = canonTime(m[2]);
	if (!ts) throw new ApiError(400, 'InvalidInput', `Invalid timestamp '${m[2]}'.`);
	if (timeMs(ts) < store.now() - 30 * 86400000) throw new ApiError(400, 'InvalidInput', 'The timestamp must be within the last 30 days.');
	const hits = store.machines.filter((x) => x.lastIpAddress === m[1]);
	return ok({ '@odata.context': ctxUrl(req, 'mde', 'Machines'), value: hits.map((x) => store.toMdeMachine(x)) });
}

const ISOLATION_TYPES = ['Full', 'Selective', 'UnManagedDevice'];

interface ActionDef {
	path: string;
	type: string;
	windowsOnly?: boolean;
	status?: number;
	parse: (body: unknown) => { comment: string; scope?: string | null; sha1?: string };
}

const comment = (b: unknown) => requireKey(b, 'Comment')!;

const ACTIONS: ActionDef[] = [
	{
		path: 'isolate',
		type: 'Isolate',
		parse: (b) => ({ comment: comment(b), scope: requireKey(b, 'IsolationType', { optional: true, allowed: ISOLATION_TYPES }) ?? 'Full' }),
	},
	{ path: 'unisolate', type: 'Unisolate', parse: (b) => ({ comment: comment(b) }) },
	{
		path: 'runAntiVirusScan',
		type: 'RunAntiVirusScan',
		windowsOnly: true,
		parse: (b) => ({ comment: comment(b), scope: requireKey(b, 'ScanType', { allowed: ['Quick', 'Full'] }) }),
	},
	{ path: 'restrictCodeExecution', type: 'RestrictCodeExecution', windowsOnly: true, parse: (b) => ({ comment: comment(b) }) },
	{ path: 'unrestrictCodeExecution', type: 'UnrestrictCodeExecution', windowsOnly: true, parse: (b) => ({ comment: comment(b) }) },
	{ path: 'collectInvestigationPackage', type: 'CollectInvestigationPackage', parse: (b) => ({ comment: comment(b) }) },
	{
		path: 'StopAndQuarantineFile',
		type: 'StopAndQuarantineFile',
		windowsOnly: true,
		parse: (b) => {
			const c = comment(b);
			const sha1 = requireKey(b, 'Sha1')!;
			if (!/^[0-9a-fA-F]{40}$/.test(sha1)) throw new ApiError(400, 'InvalidRequestBody', `Invalid Sha1 '${sha1}': a SHA-1 is 40 hexadecimal characters.`);
			return { comment: c, sha1 };
		},
	},
	{ path: 'offboard', type: 'Offboard', status: 200, parse: (b) => ({ comment: comment(b) }) },
];

function actionRoute(d: ActionDef): RouteImpl<DefenderStore> {
	return {
		method: 'POST',
		path: `/api/machines/:id/${d.path}`,
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const m = getMachine(store, req.params.id);
			const p = d.parse(req.body);
			if (d.windowsOnly && !m.osPlatform.startsWith('Windows'))
				throw new ApiError(400, 'OsPlatformNotSupported', `${d.type} is not supported for OS platform ${m.osPlatform}.`);
			if (d.type === 'Isolate' && p.scope === 'Selective' && !m.osPlatform.startsWith('Windows'))
				throw new ApiError(400, 'OsPlatformNotSupported', `Selective isolation is not supported for OS platform ${m.osPlatform}.`);
			const st = store.machineState(m.id);
			if (st.offboarded) throw new ApiError(400, 'InvalidInput', `Machine ${m.id} is offboarded.`);
			const externalID = (req.body as Record<string, unknown> | undefined)?.ExternalID;
			const { action, duplicate } = store.createAction(m, d.type, {
				scope: p.scope,
				comment: p.comment,
				requestor: req.auth.appId,
				title: p.sha1 ? `Stop and quarantine file ${p.sha1}` : undefined,
				relatedFileInfo: p.sha1 ? { fileIdentifier: p.sha1.toLowerCase(), fileIdentifierType: 'Sha1' } : null,
				externalID: typeof externalID === 'string' ? externalID : null,
			});
			if (duplicate && store.opts.duplicateActionBehaviour === 'error400') throw new ApiError(400, 'ActiveRequestAlreadyExists', 'Action is already in progress');
			return ok({ '@odata.context': ctxUrl(req, 'mde', 'MachineActions/$entity'), ...store.toMachineAction(action) }, d.status ?? 201);
		}),
	};
}

function getAction(store: DefenderStore, id: string) {
	const a = store.getMachineAction(id);
	if (!a) notFound('mde', 'Machine action', id);
	return a;
}

/** A small, valid zip standing in for the investigation package. */
function packageZip(store: DefenderStore, actionId: string): Buffer {
	const a = store.getMachineAction(actionId)!;
	const text = [
		'Microsoft Defender for Endpoint investigation package (emulated)',
		`Action: ${a.id}`,
		`Machine: ${a.machineId} (${a.computerDnsName})`,
		`Collected: ${iso7(a.createdMs + a.timing.pendingMs + a.timing.inProgressMs)}`,
		'',
	].join('\r\n');
	return zipOneFile('Summary.txt', Buffer.from(text, 'utf8'), a.createdMs);
}

export const machineRoutes: RouteImpl<DefenderStore>[] = [
	{
		method: 'GET',
		path: '/api/machines',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			if (store.machines.length === 0) throw new ApiError(404, 'NotFound', 'No machines found');
			return machineList(req, store, store.machines);
		}),
	},
	{
		method: 'GET',
		path: '/api/machines/findbytag',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const tag = q(req, 'tag');
			if (!tag) throw new ApiError(400, 'MissingRequiredParameter', "Missing required parameter 'tag'.");
			const sw = /^true$/i.test(q(req, 'useStartsWithFilter') ?? '');
			const t = tag.toLowerCase();
			const hits = store.machines.filter((m) => m.machineTags.some((x) => (sw ? x.toLowerCase().startsWith(t) : x.toLowerCase() === t)));
			return ok({ '@odata.context': ctxUrl(req, 'mde', 'Machines'), value: hits.map((m) => store.toMdeMachine(m)) });
		}),
	},
	{
		method: 'GET',
		path: '/api/machines/:id',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			if (/^findbyip\(/i.test(req.params.id)) return findByIp(req, store, req.params.id);
			const m = getMachine(store, req.params.id);
			return ok({ '@odata.context': ctxUrl(req, 'mde', 'Machines/$entity'), ...store.toMdeMachine(m) });
		}),
	},
	{
		method: 'GET',
		path: '/api/machines/:id/logonusers',
		api: 'mde',
		// get-machine-log-on-users documents User.Read.All only.
		handler: guard('mde', (req, store) => {
			const m = getMachine(store, req.params.id);
			return ok({
				'@odata.context': ctxUrl(req, 'mde', 'Users'),
				value: m.users.map((u) => ({
					id: `${u.accountDomain.toLowerCase()}\\${u.accountName}`,
					accountName: u.accountName,
					accountDomain: u.accountDomain,
					accountSid: u.accountSid,
					firstSeen: u.firstSeen,
					lastSeen: u.lastSeen,
					mostPrevalentMachineId: m.id,
					leastPrevalentMachineId: m.id,
					logonTypes: u.logonTypes,
					logOnMachinesCount: 1,
					isDomainAdmin: u.isDomainAdmin,
					isOnlyNetworkUser: false,
				})),
			});
		}),
	},
	{
		method: 'GET',
		path: '/api/machines/:id/alerts',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const m = getMachine(store, req.params.id);
			const ev = expandSet(q(req, '$expand')).has('evidence');
			return pageList(req, {
				family: 'mde',
				base: store.alertsOfMachine(m.id),
				spec: mdeAlertSpec,
				cacheName: `machineAlerts:${m.id}`,
				store,
				project: (a) => store.toMdeAlert(a, ev),
				context: 'Alerts',
				maxTop: 10000,
				overTop: 'error',
				defaultPage: 10000,
				nextLink: 'noTop',
			});
		}),
	},
	{
		method: 'POST',
		path: '/api/machines/:id/tags',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const m = getMachine(store, req.params.id);
			const value = requireKey(req.body, 'Value')!;
			const action = requireKey(req.body, 'Action', { allowed: ['Add', 'Remove'] })!;
			if (value.trim() === '') throw new ApiError(400, 'InvalidInput', 'Tag value must not be empty.');
			if (value.length > 200) throw new ApiError(400, 'InvalidInput', 'Tag value is longer than 200 characters.');
			if (action === 'Add') {
				if (!m.machineTags.includes(value)) m.machineTags.push(value);
			} else m.machineTags = m.machineTags.filter((t) => t !== value);
			store.bump();
			return ok({ '@odata.context': ctxUrl(req, 'mde', 'Machines/$entity'), ...store.toMdeMachine(m) });
		}),
	},
	...ACTIONS.map(actionRoute),
	{
		method: 'GET',
		path: '/api/machineactions',
		api: 'mde',
		handler: guard('mde', (req, store) =>
			pageList(req, {
				family: 'mde',
				base: store.actions,
				spec: machineActionSpec(store),
				cacheName: 'machineActions',
				store,
				project: (a) => store.toMachineAction(a),
				context: 'MachineActions',
				maxTop: 10000,
				overTop: 'error',
				defaultPage: 10000,
				nextLink: 'noTop',
			}),
		),
	},
	{
		method: 'GET',
		path: '/api/machineactions/:id',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const a = getAction(store, req.params.id);
			return ok({ '@odata.context': ctxUrl(req, 'mde', 'MachineActions/$entity'), ...store.toMachineAction(a) });
		}),
	},
	{
		method: 'POST',
		path: '/api/machineactions/:id/cancel',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const a = getAction(store, req.params.id);
			const c = comment(req.body);
			if (!store.cancelAction(a, req.auth.appId, c))
				throw new ApiError(400, 'InvalidRequestBody', `Machine action ${a.id} is already in a final state (${store.actionStatus(a).status}) and cannot be cancelled.`);
			return ok({ '@odata.context': ctxUrl(req, 'mde', 'MachineActions/$entity'), ...store.toMachineAction(a) });
		}),
	},
	{
		method: 'GET',
		path: '/api/machineactions/:id/GetPackageUri',
		api: 'mde',
		handler: guard('mde', (req, store) => {
			const a = getAction(store, req.params.id);
			if (a.type !== 'CollectInvestigationPackage') throw new ApiError(404, 'ResourceNotFound', `Machine action ${a.id} has no investigation package`);
			if (store.actionStatus(a).status !== 'Succeeded') throw new ApiError(404, 'ResourceNotFound', `Investigation package for action ${a.id} is not available`);
			const se = new Date(store.now() + 10 * 60000).toISOString().replace(/\.\d{3}Z$/, 'Z');
			const url = `${req.origin}/_files/${store.tenantId}/packages/${a.id}.zip?sv=2020-08-04&st=${encodeURIComponent(iso7(store.now()).slice(0, 19) + 'Z')}&se=${encodeURIComponent(se)}&sr=b&sp=r&sig=${encodeURIComponent(store.packageSig(a.id, se))}`;
			// get-package-sas-uri.md: the value is the URL wrapped in literal double quotes.
			return ok({ '@odata.context': ctxUrl(req, 'mde', 'Edm.String'), value: `"${url}"` });
		}),
	},
	{
		method: 'GET',
		path: '/_files/:tenant/packages/:file',
		api: 'mde',
		public: true,
		handler: (req, store) => {
			const id = req.params.file.replace(/\.zip$/i, '');
			const se = req.query.se ?? '';
			const sig = req.query.sig ?? '';
			const a = store.getMachineAction(id);
			const xml = (code: string, msg: string) =>
				`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${msg}</Message></Error>`;
			if (!a || !se || sig !== store.packageSig(a.id, se))
				return { status: 403, contentType: 'application/xml', raw: xml('AuthenticationFailed', 'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.') };
			if (Date.parse(se) < store.now())
				return { status: 403, contentType: 'application/xml', raw: xml('AuthenticationFailed', 'Signed expiry time must be after signed start time / the SAS has expired.') };
			return {
				status: 200,
				contentType: 'application/zip',
				raw: packageZip(store, a.id),
				headers: { 'x-ms-blob-type': 'BlockBlob', 'content-disposition': `attachment; filename="${a.id}.zip"` },
			};
		},
	},
];
