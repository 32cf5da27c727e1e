import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { alertStatusOptions, assignedToParameter, updateFieldsCollection, verdictFields } from '../../descriptions/common';
import { GRAPH_DETERMINATION_ALTERNATIVE, MDE_DETERMINATION_ALTERNATIVE, toGraphWriteValue, toMdeValue } from '../../helpers/simplify';
import { defenderApiRequest } from '../../transport';
import { failInput, patchWithDetermination, readApi, toItems } from '../common';
import { alertLocator, readAlertId } from './common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [
	alertLocator('The alert to update'),
	{
		...updateFieldsCollection,
		options: [
			assignedToParameter('User principal name of the owner of the alert'),
			...verdictFields(
				'Mapped to the names the selected API expects. Microsoft may refuse some combinations with the classification; its message is passed through.',
			),
			{
				displayName: 'Status',
				name: 'status',
				type: 'options',
				default: 'inProgress',
				options: alertStatusOptions,
			},
		],
	},
];

const displayOptions = { show: { resource: ['alert'], operation: ['update'] } };

export const description = updateDisplayOptions(displayOptions, properties);

const FIELDS = ['assignedTo', 'classification', 'determination', 'status'] as const;

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const api = readApi(this, i);
	const id = readAlertId(this, i);
	const fields = this.getNodeParameter('updateFields', i, {}) as IDataObject;

	const body: IDataObject = {};
	for (const field of FIELDS) {
		const value = fields[field];
		if (value === undefined || value === null || String(value).trim() === '') continue;
		const text = String(value).trim();
		if (field === 'assignedTo') body.assignedTo = text;
		else body[field] = api === 'mde' ? toMdeValue(field, text) : toGraphWriteValue(field, text);
	}
	if (Object.keys(body).length === 0) {
		throw failInput(
			this,
			i,
			'The parameter "Update Fields" is empty: nothing to update',
			'Add at least one of Assigned To, Classification, Determination or Status.',
		);
	}

	const operation = OPERATIONS.alert.update;
	// Both APIs' pages spell some determinations two ways: refused, the other spelling is sent once.
	const alert = await patchWithDetermination(
		this,
		i,
		id,
		body,
		api === 'graph' ? GRAPH_DETERMINATION_ALTERNATIVE : MDE_DETERMINATION_ALTERNATIVE,
		async (payload) =>
			api === 'graph'
				? await defenderApiRequest.call(this, {
						api: 'graph',
						method: 'PATCH',
						path: `/v1.0/security/alerts_v2/${encodeURIComponent(id)}`,
						body: payload,
						itemIndex: i,
						operation,
					})
				: await defenderApiRequest.call(this, {
						api: 'mde',
						method: 'PATCH',
						path: `/api/alerts/${encodeURIComponent(id)}`,
						body: payload,
						itemIndex: i,
						operation,
					}),
	);
	return toItems.call(this, alert, i);
}
