/**
 * One emulated Defender tenant: machines, alerts, incidents, machine actions, indicators, TVM
 * and hunting tables, with control methods for tests, the trigger and the demo.
 * The contract is summarised in test/emulator/README.md (Defender semantics).
 */
import { createHmac, randomUUID } from 'node:crypto';

import type { StoreOrder } from './order';
import {
	deriveIncidentFromAlerts,
	genAlert,
	genIncident,
	genMachine,
	genSoftware,
	genVulnerabilities,
	guid,
	int,
	mulberry32,
	type Rng,
} from './generator';
import {
	type ActionStatus,
	type ActionTiming,
	type AlertRecord,
	type IncidentRecord,
	type IndicatorRecord,
	type MachineActionRecord,
	type MachineRecord,
	type SoftwareRecord,
	type VulnerabilityRecord,
	FINAL_ACTION_STATUSES,
	iso7,
	parseAlertStatus,
	parseClassification,
	parseDetermination,
	parseIncidentStatus,
	parseSeverity,
	timeMs,
	toCanon,
} from './model';
import {
	type ProjectionContext,
	invalidateAlert,
	toGraphAlert,
	toGraphIncident,
	toMdeAlert,
	toMdeMachine,
	toXdrIncident,
} from './projections';
import { LiveResponseState, type ScriptBehaviour } from './liveResponse';

export interface StoreOptions {
	seed?: number;
	machines?: number;
	alerts?: number;
	incidents?: number;
	/** Rows per generated hunting event table (DeviceNetworkEvents, DeviceProcessEvents). */
	huntingRows?: number;
	now?: () => number;
	actionTiming?: ActionTiming;
	/** How a repeat of a pending/in-progress machine action is answered. Default 'error400'. */
	duplicateActionBehaviour?: 'error400' | 'returnPending' | 'stuckPending';
	/** alerts_v2 emits @odata.nextLink (documented) — false mimics the observed behaviour (none). */
	graphAlertsNextLink?: boolean;
	/** Default alerts_v2 page size when no $top is given. */
	graphAlertsPageSize?: number;
	/**
	 * What alerts_v2 and incidents do with the undocumented `$orderby` (see OrderVariant).
	 * Default `auto`: the request's mode (strict: the seeded variant, never `honoured`).
	 */
	graphOrder?: StoreOrder;
	tenantId?: string;
	domain?: string;
	/** Generated records are spread over [now - dataSpanMs, now]. Default 30 days. */
	dataSpanMs?: number;
	/** Number of generated vulnerabilities (default 200) */
	vulnerabilities?: number;
	/** P-10: Graph incidents with `$expand=alerts` AND `$filter` answer a persistent 500 (default false). */
	graphExpandWithFilterFails?: boolean;
	/** P-6: hunting results larger than this (estimated JSON bytes) answer 400 (default 124 MiB). */
	huntingMaxResultBytes?: number;
}

export interface AlertPartial {
	id?: string;
	incidentId?: number;
	machineId?: string;
	severity?: string;
	status?: string;
	title?: string;
	description?: string;
	category?: string;
	detectionSource?: string;
	assignedTo?: string | null;
	classification?: string | null;
	determination?: string | null;
	/** Creation time; default = `at`. */
	alertCreationTime?: string | number;
	mitreTechniques?: string[];
	threatFamilyName?: string | null;
}

export interface AlertPatch {
	status?: string;
	assignedTo?: string | null;
	classification?: string | null;
	determination?: string | null;
	severity?: string;
	title?: string;
	comment?: string;
	/** Author of the comment (default 'Automation'). */
	commentBy?: string;
}

export interface IncidentPartial {
	incidentId?: number;
	incidentName?: string;
	description?: string;
	severity?: string;
	status?: string;
	assignedTo?: string | null;
	classification?: string | null;
	determination?: string | null;
	tags?: string[];
	/** Create this many alerts in the incident (default 1). */
	alerts?: number;
	machineId?: string;
}

export interface IncidentPatch {
	incidentName?: string;
	status?: string;
	severity?: string;
	assignedTo?: string | null;
	classification?: string | null;
	determination?: string | null;
	tags?: string[];
	comment?: string;
	commentBy?: string;
}

export class StoreInputError extends Error {
	constructor(
		public code: string,
		message: string,
	) {
		super(message);
	}
}

const DAY = 86400000;

export class DefenderStore {
	readonly opts: Required<Omit<StoreOptions, 'now' | 'actionTiming'>> & { actionTiming: Required<ActionTiming> };
	readonly now: () => number;
	readonly tenantId: string;
	/** Secret for package-download SAS signatures. */
	readonly sasKey: string;

	readonly machines: MachineRecord[] = [];
	readonly alerts: AlertRecord[] = [];
	readonly incidents: IncidentRecord[] = [];
	readonly actions: MachineActionRecord[] = [];
	readonly indicators: IndicatorRecord[] = [];
	readonly vulnerabilities: VulnerabilityRecord[];
	readonly software: SoftwareRecord[];

	private machineById = new Map<string, MachineRecord>();
	private alertById = new Map<string, AlertRecord>();
	private alertsByMachine = new Map<string, AlertRecord[]>();
	private incidentById = new Map<number, IncidentRecord>();
	private actionById = new Map<string, MachineActionRecord>();
	private actionsByMachine = new Map<string, MachineActionRecord[]>();
	private actionOverrides = new Map<string, Partial<ActionTiming>>();
	private rng: Rng;
	private seqAlert = 0;
	private seqIncident = 0;
	private seqAction = 0;
	private nextIncidentId = 1000;
	private nextIndicatorId = 1;
	/** Bumped on every mutation of alerts/incidents; lets callers cache sorted views. */
	version = 0;
	private sortCache = new Map<string, { version: number; arr: unknown[] }>();
	readonly ctx: ProjectionContext;
	/** Live Response library, device files and per-command results (see liveResponse.ts). */
	readonly liveResponse: LiveResponseState;

	constructor(options: StoreOptions = {}) {
		this.now = options.now ?? (() => Date.now());
		this.opts = {
			seed: options.seed ?? 1,
			machines: options.machines ?? 50,
			alerts: options.alerts ?? 300,
			incidents: options.incidents ?? Math.max(1, Math.ceil((options.alerts ?? 300) / 3)),
			huntingRows: options.huntingRows ?? 2000,
			duplicateActionBehaviour: options.duplicateActionBehaviour ?? 'error400',
			graphAlertsNextLink: options.graphAlertsNextLink ?? true,
			graphAlertsPageSize: options.graphAlertsPageSize ?? 100,
			graphOrder: options.graphOrder ?? 'auto',
			tenantId: options.tenantId ?? '11111111-1111-4111-8111-111111111111',
			domain: options.domain ?? 'contoso.com',
			dataSpanMs: options.dataSpanMs ?? 30 * DAY,
			vulnerabilities: options.vulnerabilities ?? 200,
			graphExpandWithFilterFails: options.graphExpandWithFilterFails ?? false,
			huntingMaxResultBytes: options.huntingMaxResultBytes ?? 124 * 1024 * 1024,
			actionTiming: {
				pendingMs: options.actionTiming?.pendingMs ?? 2000,
				inProgressMs: options.actionTiming?.inProgressMs ?? 3000,
				outcome: options.actionTiming?.outcome ?? 'Succeeded',
			},
		};
		this.tenantId = this.opts.tenantId;
		this.rng = mulberry32(this.opts.seed);
		this.sasKey = `sas-${this.opts.seed}-${this.tenantId}`;
		this.liveResponse = new LiveResponseState(this.sasKey, () => this.now());
		this.ctx = { tenantId: this.tenantId, machine: (id) => this.machineById.get(id) };
		const endMs = this.now();
		const startMs = endMs - this.opts.dataSpanMs;

		// machines
		for (let i = 0; i < this.opts.machines; i++) {
			const m = genMachine(this.rng, i, { domain: this.opts.domain, startMs, endMs });
			// The first three machines are always Windows 11, Active, so tests can act on them.
			if (i < 3) {
				m.osPlatform = 'Windows11';
				m.version = '23H2';
				m.osBuild = 22631;
				m.healthStatus = 'Active';
				m.defenderAvStatus = 'Updated';
			}
			this.indexMachine(m);
		}

		// TVM
		this.vulnerabilities = genVulnerabilities(this.rng, this.opts.vulnerabilities, endMs);
		this.software = genSoftware(this.rng, this.vulnerabilities.length);
		for (const m of this.machines) {
			const k = int(this.rng, 3, 8);
			for (let j = 0; j < k; j++) {
				const s = int(this.rng, 0, this.software.length - 1);
				if (!m.softwareIdx.includes(s)) m.softwareIdx.push(s);
			}
			for (const s of m.softwareIdx) {
				this.software[s].exposedMachines++;
				for (const v of this.software[s].vulnIdx) this.vulnerabilities[v].exposedMachines++;
			}
		}

		// incidents + alerts (alerts in creation order; incidents group consecutive alerts)
		const nA = this.opts.alerts;
		const nI = Math.max(1, Math.min(Math.floor(this.opts.incidents), Math.max(nA, 1)));
		const incs: IncidentRecord[] = [];
		const step = nA > 0 ? this.opts.dataSpanMs / nA : 0;
		for (let k = 0; k < nI; k++) {
			const firstAlert = Math.floor((k * nA) / nI);
			incs.push(genIncident(this.rng, this.seqIncident++, this.nextIncidentId++, startMs + firstAlert * step));
		}
		const nM = this.machines.length;
		for (let i = 0; i < nA; i++) {
			const inc = incs[Math.min(nI - 1, Math.floor((i * nI) / nA))];
			const machine = nM ? this.machines[(i * 7 + (inc.incidentId % 13)) % nM] : this.placeholderMachine();
			const createdMs = Math.max(startMs + (i + this.rng() * 0.9) * step, timeMs(inc.createdTime));
			const a = genAlert(this.rng, this.seqAlert++, { createdMs, maxMs: endMs, incidentId: inc.incidentId, machine });
			this.indexAlert(a);
			inc.alertIds.push(a.id);
		}
		for (const inc of incs) {
			deriveIncidentFromAlerts(
				inc,
				inc.alertIds.map((id) => this.alertById.get(id)!),
			);
			this.incidents.push(inc);
			this.incidentById.set(inc.incidentId, inc);
		}
	}

	private placeholderMachine(): MachineRecord {
		return this.addMachine({});
	}

	private indexMachine(m: MachineRecord) {
		this.machines.push(m);
		this.machineById.set(m.id, m);
	}
	private indexAlert(a: AlertRecord) {
		this.alerts.push(a);
		this.alertById.set(a.id, a);
		let l = this.alertsByMachine.get(a.machineId);
		if (!l) this.alertsByMachine.set(a.machineId, (l = []));
		l.push(a);
	}
	private touch() {
		this.version++;
	}

	/**
	 * A cached copy of `arr` sorted by `cmp` (stable: ties keep `arr` order). Cached under `name`
	 * until the next mutation of alerts/incidents or a change of `arr`'s length.
	 */
	sorted<T>(name: string, arr: T[], cmp: ((a: T, b: T) => number) & { keyOf?: (x: T) => unknown[]; dirs?: number[] }): T[] {
		const c = this.sortCache.get(name);
		if (c && c.version === this.version && c.arr.length === arr.length) return c.arr as T[];
		let out: T[];
		if (cmp.keyOf && cmp.dirs) {
			// decorate-sort-undecorate: keys computed once per record
			const keyOf = cmp.keyOf;
			const dirs = cmp.dirs;
			const dec = arr.map((x, i) => ({ x, i, k: keyOf(x) }));
			dec.sort((a, b) => {
				for (let j = 0; j < dirs.length; j++) {
					const p = a.k[j] as string | number | null | undefined;
					const q = b.k[j] as string | number | null | undefined;
					if (p === q) continue;
					if (p === null || p === undefined) return -dirs[j];
					if (q === null || q === undefined) return dirs[j];
					return (p < q ? -1 : 1) * dirs[j];
				}
				return a.i - b.i;
			});
			out = dec.map((d) => d.x);
		} else {
			const idx = arr.map((_, i) => i);
			idx.sort((a, b) => cmp(arr[a], arr[b]) || a - b);
			out = idx.map((i) => arr[i]);
		}
		this.sortCache.set(name, { version: this.version, arr: out });
		return out;
	}

	/** Call after mutating machines/actions/indicators directly so cached sorted views are dropped. */
	bump(): void {
		this.version++;
	}

	// ------------------------------------------------------------ lookups

	getAlert(id: string): AlertRecord | undefined {
		return this.alertById.get(id);
	}
	getIncident(id: number | string): IncidentRecord | undefined {
		const n = typeof id === 'number' ? id : /^\d+$/.test(id) ? Number(id) : NaN;
		return this.incidentById.get(n);
	}
	/** By id, or by computer DNS name / short host name (case-insensitive), as MDE allows. */
	getMachine(idOrName: string): MachineRecord | undefined {
		const byId = this.machineById.get(idOrName.toLowerCase());
		if (byId) return byId;
		const n = idOrName.toLowerCase();
		return this.machines.find((m) => m.computerDnsName.toLowerCase() === n || m.computerDnsName.split('.')[0].toLowerCase() === n);
	}
	getMachineAction(id: string): MachineActionRecord | undefined {
		return this.actionById.get(id.toLowerCase());
	}
	alertsOfMachine(machineId: string): AlertRecord[] {
		return this.alertsByMachine.get(machineId) ?? [];
	}
	alertsOfIncident(inc: IncidentRecord): AlertRecord[] {
		const out: AlertRecord[] = [];
		for (const id of inc.alertIds) {
			const a = this.alertById.get(id);
			if (a) out.push(a);
		}
		return out;
	}
	counts() {
		return {
			machines: this.machines.length,
			alerts: this.alerts.length,
			incidents: this.incidents.length,
			machineActions: this.actions.length,
			indicators: this.indicators.length,
			vulnerabilities: this.vulnerabilities.length,
			software: this.software.length,
		};
	}

	// ------------------------------------------------------------ projections

	toMdeAlert(a: AlertRecord, withEvidence = false) {
		return toMdeAlert(a, this.ctx, withEvidence);
	}
	toGraphAlert(a: AlertRecord) {
		return toGraphAlert(a, this.ctx);
	}
	toXdrIncident(i: IncidentRecord) {
		return toXdrIncident(i, this.alertsOfIncident(i), this.ctx);
	}
	toGraphIncident(i: IncidentRecord, expandAlerts = false, includeUnknownEnum = false) {
		return toGraphIncident(i, this.ctx, { alerts: expandAlerts ? this.alertsOfIncident(i) : undefined, includeUnknownEnum });
	}
	toMdeMachine(m: MachineRecord) {
		const st = this.machineState(m.id);
		return toMdeMachine(m, { isolated: st.isolated, offboarded: st.offboarded });
	}

	/**
	 * Change behaviour switches at run time (also reachable through the core's
	 * `POST /_control/tenants/:tenant/store/configure` with `[{...}]`).
	 */
	configure(o: {
		duplicateActionBehaviour?: 'error400' | 'returnPending' | 'stuckPending';
		graphAlertsNextLink?: boolean;
		graphAlertsPageSize?: number;
		graphOrder?: StoreOrder;
		actionTiming?: Partial<ActionTiming>;
		graphExpandWithFilterFails?: boolean;
		huntingMaxResultBytes?: number;
	}): void {
		if (o.graphExpandWithFilterFails !== undefined) this.opts.graphExpandWithFilterFails = o.graphExpandWithFilterFails;
		if (o.huntingMaxResultBytes !== undefined) this.opts.huntingMaxResultBytes = o.huntingMaxResultBytes;
		if (o.duplicateActionBehaviour !== undefined) this.opts.duplicateActionBehaviour = o.duplicateActionBehaviour;
		if (o.graphAlertsNextLink !== undefined) this.opts.graphAlertsNextLink = o.graphAlertsNextLink;
		if (o.graphAlertsPageSize !== undefined) this.opts.graphAlertsPageSize = o.graphAlertsPageSize;
		if (o.graphOrder !== undefined) this.opts.graphOrder = o.graphOrder;
		if (o.actionTiming) Object.assign(this.opts.actionTiming, o.actionTiming);
	}

	// ------------------------------------------------------------ control: machines

	addMachine(partial: Partial<MachineRecord> = {}): MachineRecord {
		const endMs = this.now();
		const m = genMachine(this.rng, this.machines.length, { domain: this.opts.domain, startMs: endMs - this.opts.dataSpanMs, endMs });
		Object.assign(m, partial);
		if (partial.id) m.id = partial.id.toLowerCase();
		if (this.machineById.has(m.id)) throw new StoreInputError('InvalidInput', `Machine ${m.id} already exists`);
		this.indexMachine(m);
		return m;
	}

	// ------------------------------------------------------------ control: alerts

	addAlert(partial: AlertPartial = {}, at?: string | number): AlertRecord {
		const atCanon = toCanon(at, this.now());
		const created = partial.alertCreationTime !== undefined ? toCanon(partial.alertCreationTime, this.now()) : atCanon;
		const machine = partial.machineId
			? this.getMachine(partial.machineId)
			: this.machines.length
				? this.machines[Math.floor(this.rng() * this.machines.length)]
				: this.addMachine({});
		if (!machine) throw new StoreInputError('ResourceNotFound', `Machine ${partial.machineId} was not found`);
		let inc = partial.incidentId !== undefined ? this.incidentById.get(partial.incidentId) : undefined;
		if (!inc) {
			inc = genIncident(this.rng, this.seqIncident++, partial.incidentId ?? this.nextIncidentId++, timeMs(created));
			if (partial.incidentId !== undefined && partial.incidentId >= this.nextIncidentId) this.nextIncidentId = partial.incidentId + 1;
			inc.createdTime = created;
			inc.lastUpdateTime = atCanon;
			this.incidents.push(inc);
			this.incidentById.set(inc.incidentId, inc);
		}
		const a = genAlert(this.rng, this.seqAlert++, {
			createdMs: timeMs(created),
			maxMs: timeMs(created),
			incidentId: inc.incidentId,
			machine,
			updatedRatio: 0,
		});
		a.alertCreationTime = created;
		a.lastUpdateTime = atCanon < created ? created : atCanon;
		if (partial.id) {
			if (this.alertById.has(partial.id)) throw new StoreInputError('InvalidInput', `Alert ${partial.id} already exists`);
			a.id = partial.id;
		}
		this.applyAlertFields(a, partial);
		this.indexAlert(a);
		inc.alertIds.push(a.id);
		if (inc.alertIds.length === 1) deriveIncidentFromAlerts(inc, [a]);
		if (a.lastUpdateTime > inc.lastUpdateTime) inc.lastUpdateTime = a.lastUpdateTime;
		this.touch();
		return a;
	}

	/**
	 * Bulk add. `at` = time of the first alert (default now), `spreadMs` = alerts are spaced evenly
	 * over [at, at+spreadMs] (default 0: all share `at`). Other options apply to every alert.
	 */
	addAlerts(
		n: number,
		o: { at?: string | number; spreadMs?: number; incidentId?: number; machineId?: string; severity?: string; status?: string } = {},
	): AlertRecord[] {
		const base = timeMs(toCanon(o.at, this.now()));
		const out: AlertRecord[] = [];
		for (let i = 0; i < n; i++) {
			const t = base + (n > 1 && o.spreadMs ? Math.floor((i * o.spreadMs) / (n - 1)) : 0);
			out.push(
				this.addAlert({ incidentId: o.incidentId, machineId: o.machineId, severity: o.severity, status: o.status }, iso7(t, i % 10000)),
			);
		}
		return out;
	}

	private applyAlertFields(a: AlertRecord, p: AlertPartial | AlertPatch) {
		if (p.severity !== undefined) {
			const s = parseSeverity(p.severity);
			if (!s) throw new StoreInputError('InvalidInput', `Invalid severity '${p.severity}'`);
			a.severity = s;
		}
		if (p.status !== undefined) {
			const s = parseAlertStatus(p.status);
			if (!s) throw new StoreInputError('InvalidInput', `Invalid status '${p.status}'`);
			a.status = s;
			a.resolvedTime = s === 'Resolved' ? (a.resolvedTime ?? a.lastUpdateTime) : null;
		}
		if (p.classification !== undefined) {
			const c = p.classification === null ? null : parseClassification(p.classification);
			if (c === undefined) throw new StoreInputError('InvalidInput', `Invalid classification '${p.classification}'`);
			a.classification = c;
		}
		if (p.determination !== undefined) {
			const d = p.determination === null ? null : parseDetermination(p.determination);
			if (d === undefined) throw new StoreInputError('InvalidInput', `Invalid determination '${p.determination}'`);
			a.determination = d;
		}
		if (p.assignedTo !== undefined) a.assignedTo = p.assignedTo;
		if (p.title !== undefined) a.title = p.title;
		const pp = p as AlertPartial;
		if (pp.description !== undefined) a.description = pp.description;
		if (pp.category !== undefined) a.category = pp.category;
		if (pp.detectionSource !== undefined) a.detectionSource = pp.detectionSource;
		if (pp.mitreTechniques !== undefined) a.mitreTechniques = pp.mitreTechniques;
		if (pp.threatFamilyName !== undefined) a.threatFamilyName = pp.threatFamilyName;
	}

	/** Update an alert (MDE or Graph vocabulary accepted); lastUpdateTime := at (default now). */
	updateAlert(id: string, patch: AlertPatch, at?: string | number): AlertRecord {
		const a = this.alertById.get(id);
		if (!a) throw new StoreInputError('ResourceNotFound', `Alert ${id} was not found`);
		const t = toCanon(at, this.now());
		// validate everything before mutating
		const probe = { ...a };
		this.applyAlertFields(probe, patch);
		a.lastUpdateTime = t;
		this.applyAlertFields(a, patch);
		if (a.status === 'Resolved' && patch.status !== undefined) a.resolvedTime = t;
		if (patch.comment !== undefined && patch.comment !== '') {
			a.comments = [...a.comments, { comment: patch.comment, createdBy: patch.commentBy ?? 'Automation', createdTime: t }];
		}
		invalidateAlert(a);
		const inc = this.incidentById.get(a.incidentId);
		if (inc && t > inc.lastUpdateTime) inc.lastUpdateTime = t;
		this.touch();
		return a;
	}

	// ------------------------------------------------------------ control: incidents

	addIncident(partial: IncidentPartial = {}, at?: string | number): IncidentRecord {
		const t = toCanon(at, this.now());
		const n = partial.alerts ?? 1;
		const incidentId = partial.incidentId ?? this.nextIncidentId++;
		if (this.incidentById.has(incidentId)) throw new StoreInputError('InvalidInput', `Incident ${incidentId} already exists`);
		let inc: IncidentRecord;
		if (n > 0) {
			const first = this.addAlert({ incidentId, machineId: partial.machineId, severity: partial.severity }, t);
			inc = this.incidentById.get(first.incidentId)!;
			for (let i = 1; i < n; i++) this.addAlert({ incidentId, machineId: partial.machineId }, t);
			deriveIncidentFromAlerts(inc, this.alertsOfIncident(inc));
		} else {
			inc = genIncident(this.rng, this.seqIncident++, incidentId, timeMs(t));
			inc.createdTime = inc.lastUpdateTime = t;
			this.incidents.push(inc);
			this.incidentById.set(incidentId, inc);
		}
		if (incidentId >= this.nextIncidentId) this.nextIncidentId = incidentId + 1;
		inc.lastUpdateTime = t;
		this.applyIncidentFields(inc, partial);
		this.touch();
		return inc;
	}

	private applyIncidentFields(inc: IncidentRecord, p: IncidentPartial | IncidentPatch) {
		if (p.status !== undefined) {
			const s = parseIncidentStatus(p.status);
			if (!s) throw new StoreInputError('InvalidInput', `Invalid status '${p.status}'`);
			inc.status = s;
		}
		if (p.severity !== undefined) {
			const s = parseSeverity(p.severity);
			if (!s) throw new StoreInputError('InvalidInput', `Invalid severity '${p.severity}'`);
			inc.severity = s;
		}
		if (p.classification !== undefined) {
			const c = p.classification === null ? null : parseClassification(p.classification);
			if (c === undefined) throw new StoreInputError('InvalidInput', `Invalid classification '${p.classification}'`);
			inc.classification = c;
		}
		if (p.determination !== undefined) {
			const d = p.determination === null ? null : parseDetermination(p.determination);
			if (d === undefined) throw new StoreInputError('InvalidInput', `Invalid determination '${p.determination}'`);
			inc.determination = d;
		}
		if (p.assignedTo !== undefined) inc.assignedTo = p.assignedTo;
		if (p.tags !== undefined) inc.tags = [...p.tags];
		if (p.incidentName !== undefined) inc.incidentName = p.incidentName;
		const pp = p as IncidentPartial;
		if (pp.description !== undefined) inc.description = pp.description;
	}

	updateIncident(id: number | string, patch: IncidentPatch, at?: string | number): IncidentRecord {
		const inc = this.getIncident(id);
		if (!inc) throw new StoreInputError('ResourceNotFound', `Incident ${id} was not found`);
		const t = toCanon(at, this.now());
		this.applyIncidentFields({ ...inc }, patch);
		this.applyIncidentFields(inc, patch);
		if (patch.comment !== undefined && patch.comment !== '') {
			inc.comments.push({ comment: patch.comment, createdBy: patch.commentBy ?? 'Automation', createdTime: t });
		}
		inc.lastUpdateTime = t;
		this.touch();
		return inc;
	}

	// ------------------------------------------------------------ machine actions

	/** Per-machine override of the action timing/outcome (e.g. an offline device: outcome 'TimeOut'). */
	setActionBehaviour(machineId: string, o: Partial<ActionTiming>): void {
		this.actionOverrides.set(machineId.toLowerCase(), o);
	}

	actionStatus(a: MachineActionRecord, now = this.now()): { status: ActionStatus; sinceMs: number } {
		if (a.stuckUntilOpposite) return this.stuckStatus(a, now);
		const t1 = a.createdMs + a.timing.pendingMs;
		const t2 = t1 + a.timing.inProgressMs;
		if (a.cancel) return { status: 'Cancelled', sinceMs: a.cancel.ms };
		if (a.timing.outcome === 'TimeOut') return now < t2 ? { status: 'Pending', sinceMs: a.createdMs } : { status: 'TimeOut', sinceMs: t2 };
		if (now < t1) return { status: 'Pending', sinceMs: a.createdMs };
		if (now < t2) return { status: 'InProgress', sinceMs: t1 };
		return { status: a.timing.outcome, sinceMs: t2 };
	}

	/**
	 * P-4 (microsoft-365-docs#5903): a duplicate that got stuck in Pending runs only after a later
	 * action of the opposite type (e.g. Unisolate for Isolate) succeeded — and then re-applies itself.
	 */
	private stuckStatus(a: MachineActionRecord, now: number): { status: ActionStatus; sinceMs: number } {
		if (a.cancel) return { status: 'Cancelled', sinceMs: a.cancel.ms };
		let release: number | undefined;
		for (const o of this.actionsOfMachine(a.machineId)) {
			if (o.type !== a.stuckUntilOpposite || o.createdMs < a.createdMs || o.stuckUntilOpposite) continue;
			const st = this.actionStatus(o, now);
			if (st.status === 'Succeeded' && (release === undefined || st.sinceMs < release)) release = st.sinceMs;
		}
		if (release === undefined || now < release) return { status: 'Pending', sinceMs: a.createdMs };
		const done = release + a.timing.inProgressMs;
		if (now < done) return { status: 'InProgress', sinceMs: release };
		return { status: 'Succeeded', sinceMs: done };
	}

	isFinal(a: MachineActionRecord, now = this.now()): boolean {
		return FINAL_ACTION_STATUSES.includes(this.actionStatus(a, now).status);
	}

	actionsOfMachine(machineId: string): MachineActionRecord[] {
		return this.actionsByMachine.get(machineId) ?? [];
	}

	/** Derived device state: last Succeeded Isolate/Unisolate (by completion time) wins, same for restrict. */
	machineState(machineId: string) {
		const now = this.now();
		let iso: { ms: number; on: boolean; scope: string | null } | undefined;
		let restr: { ms: number; on: boolean } | undefined;
		let offboarded = false;
		for (const a of this.actionsOfMachine(machineId)) {
			const st = this.actionStatus(a, now);
			if (st.status !== 'Succeeded') continue;
			if ((a.type === 'Isolate' || a.type === 'Unisolate') && (!iso || st.sinceMs >= iso.ms))
				iso = { ms: st.sinceMs, on: a.type === 'Isolate', scope: a.scope };
			if ((a.type === 'RestrictCodeExecution' || a.type === 'UnrestrictCodeExecution') && (!restr || st.sinceMs >= restr.ms))
				restr = { ms: st.sinceMs, on: a.type === 'RestrictCodeExecution' };
			if (a.type === 'Offboard') offboarded = true;
		}
		return {
			isolated: !!iso?.on,
			isolationType: iso?.on ? iso.scope : null,
			restricted: !!restr?.on,
			offboarded,
		};
	}

	/**
	 * Create a machine action. Returns `{ action, duplicate }`: `duplicate` is true when a
	 * non-final action of the same type already existed (the caller answers 400 or returns it,
	 * per duplicateActionBehaviour — in 'returnPending' mode `action` is the existing one).
	 */
	createAction(
		machine: MachineRecord,
		type: string,
		o: { scope?: string | null; comment: string; requestor: string; title?: string; relatedFileInfo?: MachineActionRecord['relatedFileInfo']; externalID?: string | null },
	): { action: MachineActionRecord; duplicate: boolean } {
		const now = this.now();
		const existing = this.actionsOfMachine(machine.id).find((a) => a.type === type && !this.isFinal(a, now));
		const opposite: Record<string, string> = {
			Isolate: 'Unisolate',
			Unisolate: 'Isolate',
			RestrictCodeExecution: 'UnrestrictCodeExecution',
			UnrestrictCodeExecution: 'RestrictCodeExecution',
		};
		const stuck = !!existing && this.opts.duplicateActionBehaviour === 'stuckPending' && !!opposite[type];
		if (existing && !stuck) return { action: existing, duplicate: true };
		const ov = this.actionOverrides.get(machine.id) ?? {};
		const timing = {
			pendingMs: ov.pendingMs ?? this.opts.actionTiming.pendingMs,
			inProgressMs: ov.inProgressMs ?? this.opts.actionTiming.inProgressMs,
			outcome: ov.outcome ?? this.opts.actionTiming.outcome,
		};
		const a: MachineActionRecord = {
			seq: this.seqAction++,
			id: guid(this.rng),
			type,
			scope: o.scope ?? null,
			requestor: o.requestor,
			requestorComment: o.comment,
			requestSource: 'PublicApi',
			externalID: o.externalID ?? null,
			machineId: machine.id,
			computerDnsName: machine.computerDnsName,
			title: o.title ?? `${type} by automation`,
			createdMs: now,
			timing,
			relatedFileInfo: o.relatedFileInfo ?? null,
			cancel: null,
			stuckUntilOpposite: stuck ? opposite[type] : undefined,
		};
		this.actions.push(a);
		this.actionById.set(a.id, a);
		let l = this.actionsByMachine.get(machine.id);
		if (!l) this.actionsByMachine.set(machine.id, (l = []));
		l.push(a);
		return { action: a, duplicate: false };
	}

	/** Cancel a non-final action. Returns false when it was already final. */
	cancelAction(a: MachineActionRecord, requestor: string, comment: string): boolean {
		const now = this.now();
		if (this.isFinal(a, now)) return false;
		a.cancel = { ms: now, requestor, comment };
		return true;
	}

	toMachineAction(a: MachineActionRecord) {
		const st = this.actionStatus(a);
		return {
			id: a.id,
			type: a.type,
			title: a.title,
			requestor: a.requestor,
			requestorComment: a.requestorComment,
			status: st.status,
			machineId: a.machineId,
			computerDnsName: a.computerDnsName,
			creationDateTimeUtc: iso7(a.createdMs),
			lastUpdateDateTimeUtc: iso7(st.sinceMs),
			cancellationRequestor: a.cancel?.requestor ?? null,
			cancellationComment: a.cancel?.comment ?? null,
			cancellationDateTimeUtc: a.cancel ? iso7(a.cancel.ms) : null,
			errorHResult: st.status === 'Failed' ? -2147467259 : 0,
			scope: a.scope,
			externalID: a.externalID,
			requestSource: a.requestSource,
			relatedFileInfo: a.relatedFileInfo,
			commands: a.type === 'LiveResponse' ? this.liveResponse.commandsOf(a, st.status, st.sinceMs) : [],
			troubleshootInfo: null,
		};
	}

	/** Control: an emulated device file (every machine) of `size` bytes, or with `content`. */
	setLiveResponseFile(path: string, size: number, content?: string): void {
		this.liveResponse.setDeviceFile(path, size, content);
	}

	/** Control: exit code, output, errors or run time of a library script. */
	setLiveResponseScript(scriptName: string, behaviour: ScriptBehaviour): void {
		this.liveResponse.setScriptBehaviour(scriptName, behaviour);
	}

	/** Control: concurrent live response sessions per tenant (documented: 25). */
	setLiveResponseMaxSessions(n: number): void {
		this.liveResponse.maxSessions = n;
	}

	/** HMAC for package download links. */
	packageSig(actionId: string, expiry: string): string {
		return createHmac('sha256', this.sasKey).update(`${actionId}\n${expiry}`).digest('base64url');
	}

	// ------------------------------------------------------------ indicators

	findIndicator(value: string, type: string): IndicatorRecord | undefined {
		const v = value.toLowerCase();
		return this.indicators.find((i) => i.indicatorType === type && i.indicatorValue.toLowerCase() === v);
	}
	getIndicator(id: string): IndicatorRecord | undefined {
		return this.indicators.find((i) => i.id === id);
	}
	newIndicatorId(): string {
		return String(this.nextIndicatorId++);
	}
	deleteIndicator(id: string): boolean {
		const i = this.indicators.findIndex((x) => x.id === id);
		if (i < 0) return false;
		this.indicators.splice(i, 1);
		return true;
	}

	/** Unique id for ad-hoc entities (comments etc.). */
	uuid(): string {
		return randomUUID();
	}
}
