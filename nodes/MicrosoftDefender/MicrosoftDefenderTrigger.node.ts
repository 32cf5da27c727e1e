import type {
	IDataObject,
	INodeExecutionData,
	INodePropertyOptions,
	INodeType,
	INodeTypeDescription,
	IPollFunctions,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { authenticationParameter, nodeCredentials, requestOptionsParameter } from './actions/node.description';
import { OPERATIONS } from './actions/operations';
import {
	alertStatusOptions,
	assignedToParameter,
	filtersCollection,
	incidentStatusOptions,
	serviceSourceOptions,
	simplifyParameter,
} from './descriptions/common';
import { and, ge, lt, rawLiteral } from './helpers/odata';
import {
	GRAPH_COLLECTION,
	TRIGGER_EVENTS,
	graphFilterClause,
	recordMatcher,
	wantsEvent,
	type TriggerEvent,
	type TriggerFilters,
	type TriggerResource,
} from './helpers/pollFilters';
import { splitList } from './helpers/validate';
import { PollDataError, runPollCycle, type EventKind, type FetchWindow, type StreamState } from './helpers/pollState';
import { canonicalTimestamp, readTriggerNumbers } from './helpers/pollTime';
import { simplifyAlert, simplifyIncident } from './helpers/simplify';
import { defenderApiPages } from './transport';

const ALERT_EVENTS = ['newAlert', 'updatedAlert', 'newOrUpdatedAlert'];
const INCIDENT_EVENTS = ['newIncident', 'updatedIncident', 'newOrUpdatedIncident'];

/** Reads right for the trigger and for the actions of the merged node-creator entry. */
const MERGED_NODE_DESCRIPTION =
	'Start workflows on new or updated Defender alerts and incidents; manage alerts and incidents, hunt, and run response actions on machines';

/** Where the trigger keeps its cursors in the workflow's static data. */
const STATE_KEY = 'defenderPoll';

/** The Event options; the canvas subtitle shows the chosen one's name ("New Alert", not "newAlert"). */
const EVENT_OPTIONS: INodePropertyOptions[] = [
	{
		name: 'New Alert',
		value: 'newAlert',
		description:
			'An alert created after the trigger was activated (or up to 2 minutes before its first poll), the first time it is seen',
	},
	{
		name: 'New Incident',
		value: 'newIncident',
		description:
			'An incident created after the trigger was activated (or up to 2 minutes before its first poll), the first time it is seen',
	},
	{
		name: 'New or Updated Alert',
		value: 'newOrUpdatedAlert',
		description: 'Every new alert and every change to an alert',
	},
	{
		name: 'New or Updated Incident',
		value: 'newOrUpdatedIncident',
		description: 'Every new incident and every change to an incident',
	},
	{
		name: 'Updated Alert',
		value: 'updatedAlert',
		description: 'A change to an alert the trigger has seen before or that existed before activation',
	},
	{
		name: 'Updated Incident',
		value: 'updatedIncident',
		description:
			'A change to an incident the trigger has seen before or that existed before activation',
	},
];

export class MicrosoftDefenderTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Microsoft Defender Trigger',
		name: 'microsoftDefenderTrigger',
		icon: { light: 'file:defender.svg', dark: 'file:defender.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: `={{ (${JSON.stringify(Object.fromEntries(EVENT_OPTIONS.map((o) => [o.value, o.name])))})[$parameter["event"]] || $parameter["event"] }}`,
		// n8n's node creator merges this trigger with the action node into one "Microsoft Defender"
		// entry and shows this description for both (its trigger and its actions pages).
		description: MERGED_NODE_DESCRIPTION,
		defaults: { name: 'Microsoft Defender Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: nodeCredentials,
		properties: [
			authenticationParameter,
			{
				displayName: 'Event',
				name: 'event',
				type: 'options',
				noDataExpression: true,
				options: EVENT_OPTIONS,
				default: 'newAlert',
			},
			simplifyParameter,
			{
				...filtersCollection,
				options: [
					{
						displayName: 'Alert Status',
						name: 'alertStatus',
						type: 'multiOptions',
						options: alertStatusOptions,
						default: [],
						description: 'Only alerts in one of these states',
						displayOptions: { show: { '/event': ALERT_EVENTS } },
					},
					{
						...assignedToParameter('Only incidents assigned to this user (exact match, case-insensitive)'),
						displayOptions: { show: { '/event': INCIDENT_EVENTS } },
					},
					{
						displayName: 'Incident Status',
						name: 'incidentStatus',
						type: 'multiOptions',
						options: incidentStatusOptions,
						default: [],
						description: 'Only incidents in one of these states',
						displayOptions: { show: { '/event': INCIDENT_EVENTS } },
					},
					{
						displayName: 'Minimum Severity',
						name: 'minSeverity',
						type: 'options',
						// Four options, highest first. "Informational" was a fifth one that filtered exactly
						// like Any (informational or higher is every severity), and five literal options
						// must be alphabetical under the strict lint. A saved "informational" still works.
						options: [
							{ name: 'High', value: 'high' },
							{ name: 'Medium', value: 'medium' },
							{ name: 'Low', value: 'low' },
							{ name: 'Any', value: '', description: 'Every severity, Informational and unknown included' },
						],
						default: '',
						description: 'Only records with this severity or higher',
					},
					{
						displayName: 'Service Source',
						name: 'serviceSource',
						type: 'multiOptions',
						options: serviceSourceOptions,
						default: [],
						description: 'Only alerts from these Microsoft products',
						displayOptions: { show: { '/event': ALERT_EVENTS } },
					},
					{
						displayName: 'Tags',
						name: 'tags',
						type: 'string',
						default: '',
						placeholder: 'e.g. ransomware, vip',
						description:
							'Comma-separated. Only incidents carrying at least one of these tags (custom or system tags, case-insensitive).',
						displayOptions: { show: { '/event': INCIDENT_EVENTS } },
					},
				],
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Backfill (Minutes)',
						name: 'backfillMinutes',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 0,
						description:
							'On the first poll after activation, also emit records changed this many minutes before. 0 = changes after activation, counted from 2 minutes before the first poll (n8n 2.x runs the first poll after activation returns, so nothing created in between is missed).',
					},
					{
						displayName: 'Max Events per Poll',
						name: 'maxEventsPerPoll',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 1000,
						description:
							'At most this many new or changed records are processed in one poll (records of one second are never split); the rest follow on the next polls, oldest first, without loss',
					},
					{
						displayName: 'Overlap Re-Read Budget (Pages)',
						name: 'windowPages',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 3,
						description:
							'How many pages of already-seen records one poll may re-read to find late arrivals. A busier overlap window is re-read one page per poll and once more as it closes, so requests stay proportional to new events; late records in it may then take up to one overlap window to appear.',
					},
					{
						displayName: 'Overlap Window (Minutes)',
						name: 'overlapMinutes',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 10,
						description:
							'How far each poll looks back before the end of the last time window it read completely, to catch records that Microsoft indexes late. Repeats are removed.',
					},
					{
						displayName: 'Page Size',
						name: 'pageSize',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: 1000 },
						// The largest page Graph accepts for alerts; incidents are capped at their own 50 (GRAPH_COLLECTION).
						// A stored 0 (older versions' default) still means "the largest page".
						default: 1000,
						description:
							'Records per request, up to the largest page Microsoft Graph accepts: 1,000 alerts or 50 incidents (a larger value is capped)',
					},
				],
			},
			requestOptionsParameter,
		],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const event = this.getNodeParameter('event', 'newAlert') as TriggerEvent;
		const def = TRIGGER_EVENTS[event];
		if (!def) {
			throw new NodeOperationError(this.getNode(), `Unknown event "${String(event)}"`);
		}
		const resource: TriggerResource = def.resource;
		const simple = this.getNodeParameter('simplify', true) as boolean;
		const f = this.getNodeParameter('filters', {}) as IDataObject;
		const o = this.getNodeParameter('options', {}) as IDataObject;
		const requestOptions = this.getNodeParameter('requestOptions', {}) as IDataObject;

		const filters: TriggerFilters = {
			minSeverity: typeof f.minSeverity === 'string' ? f.minSeverity : undefined,
			status: splitList(resource === 'alert' ? f.alertStatus : f.incidentStatus),
			serviceSource: resource === 'alert' ? splitList(f.serviceSource) : [],
			assignedTo: resource === 'incident' && typeof f.assignedTo === 'string' ? f.assignedTo.trim() : undefined,
			tags: resource === 'incident' ? splitList(f.tags) : [],
		};
		const collection = GRAPH_COLLECTION[resource];
		const requested = readTriggerNumbers(this.getNode(), o).pageSize || collection.maxPageSize;
		const pageSize = Math.min(Math.max(1, Math.floor(requested)), collection.maxPageSize);
		const clause = graphFilterClause(resource, filters);
		const accept = recordMatcher(resource, filters);
		const operation = OPERATIONS[resource].getAll;

		// Every page of one closed window, in whatever order the server returns them.
		const fetchWindow: FetchWindow = ({ since, until }) =>
			defenderApiPages.call(
				this,
				{
					api: 'graph',
					method: 'GET',
					path: collection.path,
					qs: { $filter: and(ge('lastUpdateDateTime', rawLiteral(since)), lt('lastUpdateDateTime', rawLiteral(until)), clause) },
					operation,
				},
				{ endpoint: collection.endpoint, pageSize },
			);

		const toItem = (record: IDataObject, kind: EventKind): INodeExecutionData => {
			const json = simple ? (resource === 'alert' ? simplifyAlert(record) : simplifyIncident(record)) : { ...record };
			json.triggerEvent = kind;
			return { json };
		};

		if (this.getMode() === 'manual') {
			// "Fetch Test Event": a recent matching record; the state is neither read nor written.
			// Graph documents no $orderby here, so: the first page of the most recent non-empty
			// window (last hour, day, 30 days), newest of that page by the event's timestamp.
			const stamp = def.mode === 'new' ? 'createdDateTime' : 'lastUpdateDateTime';
			const now = Date.now();
			try {
				for (const hours of [1, 24, 24 * 30]) {
					const since = canonicalTimestamp(new Date(now - hours * 3600_000).toISOString()) as string;
					const until = canonicalTimestamp(new Date(now + 60_000).toISOString()) as string;
					let best: IDataObject | undefined;
					for await (const page of fetchWindow({ since, until })) {
						for (const record of page) {
							if (accept && !accept(record)) continue;
							const ts = canonicalTimestamp(record[stamp]) ?? '';
							if (!best || ts > (canonicalTimestamp(best[stamp]) ?? '')) best = record;
						}
						break;
					}
					if (best) {
						let kind: EventKind = def.mode === 'new' ? 'new' : 'updated';
						if (def.mode === 'newOrUpdated') {
							const created = canonicalTimestamp(best.createdDateTime);
							if (created && created === canonicalTimestamp(best.lastUpdateDateTime)) kind = 'new';
						}
						return [[toItem(best, kind)]];
					}
				}
			} catch (error) {
				throw asNodeError(this, error);
			}
			return null;
		}

		const staticData = this.getWorkflowStaticData('node');
		const tenant = typeof requestOptions.tenantId === 'string' ? requestOptions.tenantId.trim().toLowerCase() : '';
		const key = `${resource}${tenant ? `@${tenant}` : ''}`;
		const all = (staticData[STATE_KEY] ?? {}) as IDataObject;
		const previous = all[key] as StreamState | undefined;

		const numbers = readTriggerNumbers(this.getNode(), o);
		let outcome;
		try {
			outcome = await runPollCycle(
				previous,
				{ nowMs: Date.now(), backfillSeconds: numbers.backfillMinutes * 60 },
				{
					overlapSeconds: numbers.overlapMinutes * 60,
					maxPerPoll: numbers.maxEventsPerPoll,
					pageSize,
					accept,
					windowPages: numbers.windowPages,
				},
				fetchWindow,
			);
		} catch (error) {
			// Nothing was written: the next poll starts where the last good one ended.
			throw asNodeError(this, error);
		}

		// The whole poll succeeded: store the new cursor, then emit.
		staticData[STATE_KEY] = { ...all, [key]: outcome.state } as unknown as IDataObject;

		const items = outcome.events.filter((e) => wantsEvent(def.mode, e.kind)).map((e) => toItem(e.record, e.kind));
		return items.length ? [items] : null;
	}
}

function asNodeError(ctx: IPollFunctions, error: unknown): Error {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (error instanceof PollDataError) {
		return new NodeApiError(ctx.getNode(), { message: error.message } as JsonObject, {
			message: error.message,
			description:
				(error.detail ? `${error.detail}. ` : '') +
				'Nothing was emitted and the trigger state was not changed; the next poll retries from the same point.',
		});
	}
	const message = error instanceof Error ? error.message : String(error);
	return new NodeApiError(ctx.getNode(), { message } as JsonObject, {
		message,
		description: 'Nothing was emitted and the trigger state was not changed; the next poll retries from the same point.',
	});
}
