import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { defenderApiRequest } from '../../transport';
import { readApi, toItems } from '../common';
import { alertLocator, readAlertId } from './common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [alertLocator('The alert to get')];

const displayOptions = { show: { resource: ['alert'], operation: ['get'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const api = readApi(this, i);
	const id = readAlertId(this, i);
	const operation = OPERATIONS.alert.get;
	const alert =
		api === 'graph'
			? await defenderApiRequest.call(this, {
					api: 'graph',
					method: 'GET',
					path: `/v1.0/security/alerts_v2/${encodeURIComponent(id)}`,
					itemIndex: i,
					operation,
				})
			: await defenderApiRequest.call(this, {
					api: 'mde',
					method: 'GET',
					path: `/api/alerts/${encodeURIComponent(id)}`,
					itemIndex: i,
					operation,
				});
	return toItems.call(this, alert as IDataObject, i);
}
