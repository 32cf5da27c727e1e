import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { assignedToParameter, incidentUpdateStatusOptions, updateFieldsCollection, verdictFields } from '../../descriptions/common';
import { GRAPH_DETERMINATION_ALTERNATIVE, toGraphWriteValue } from '../../helpers/simplify';
import { defenderApiRequest } from '../../transport';
import { splitList } from '../../helpers/validate';
import { failInput, patchWithDetermination, toItems } from '../common';
import { incidentLocator, readIncidentId } from './common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [
	incidentLocator('The incident to update'),
	{
		...updateFieldsCollection,
		options: [
			assignedToParameter('User principal name of the owner of the incident'),
			...verdictFields('Microsoft may refuse some combinations with the classification; its message is passed through'),
			{
				displayName: 'Status',
				name: 'status',
				type: 'options',
				default: 'active',
				options: incidentUpdateStatusOptions,
			},
			{
				displayName: 'Tags',
				name: 'tags',
				type: 'string',
				default: '',
				placeholder: 'e.g. ransomware, n8n',
				description: 'Custom tags, separated by commas',
			},
			{
				displayName: 'Tags Mode',
				name: 'tagsMode',
				type: 'options',
				default: 'add',
				description: 'How the tags are applied',
				options: [
					{
						name: 'Add to Existing Tags',
						value: 'add',
						description: 'Reads the incident first and keeps its current tags',
					},
					{ name: 'Replace All Tags', value: 'replace' },
				],
			},
		],
	},
];

const displayOptions = { show: { resource: ['incident'], operation: ['update'] } };

export const description = updateDisplayOptions(displayOptions, properties);

const PATCH_STATUSES = incidentUpdateStatusOptions.map((o) => String(o.value));

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const id = readIncidentId(this, i);
	const fields = this.getNodeParameter('updateFields', i, {}) as IDataObject;

	const body: IDataObject = {};
	const assignedTo = String(fields.assignedTo ?? '').trim();
	if (assignedTo) body.assignedTo = assignedTo;
	for (const field of ['classification', 'determination', 'status'] as const) {
		const value = String(fields[field] ?? '').trim();
		if (value) body[field] = toGraphWriteValue(field, value);
	}
	if (body.status !== undefined && !PATCH_STATUSES.includes(String(body.status))) {
		// A value from an expression or an older workflow: Graph refuses it on PATCH.
		throw failInput(
			this,
			i,
			`Status "${String(fields.status)}" cannot be set through the API`,
			'Microsoft Graph (Update incident) accepts only active, resolved or redirected. awaitingAction can be set only by Microsoft 365 Defender experts, and inProgress is not accepted on update.',
		);
	}
	const hasTags = fields.tags !== undefined;
	const tags = hasTags ? splitList(fields.tags) : [];
	const tagsMode = (fields.tagsMode as string) || 'add';
	if (hasTags && !(tagsMode === 'add' && tags.length === 0)) body.customTags = tags;

	if (Object.keys(body).length === 0) {
		throw failInput(
			this,
			i,
			'The parameter "Update Fields" is empty: nothing to update',
			'Add at least one of Assigned To, Classification, Determination, Status or Tags.',
		);
	}

	const path = `/v1.0/security/incidents/${encodeURIComponent(id)}`;
	const operation = OPERATIONS.incident.update;

	if (body.customTags && tagsMode === 'add') {
		const current = (await defenderApiRequest.call(this, {
			api: 'graph',
			method: 'GET',
			path,
			itemIndex: i,
			operation: OPERATIONS.incident.get,
		})) as IDataObject;
		const existing = Array.isArray(current.customTags) ? (current.customTags as string[]) : [];
		body.customTags = splitList([...existing, ...tags]);
	}

	const incident = await patchWithDetermination(this, i, id, body, GRAPH_DETERMINATION_ALTERNATIVE, async (payload) =>
		defenderApiRequest.call(this, {
			api: 'graph',
			method: 'PATCH',
			path,
			body: payload,
			itemIndex: i,
			operation,
		}),
	);
	return toItems.call(this, incident, i);
}
