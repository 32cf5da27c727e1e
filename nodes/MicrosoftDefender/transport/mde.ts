import type { IDataObject } from 'n8n-workflow';

import type { DefenderContext, DefenderRequest } from './index';
import { defenderApiRequest } from './index';

/** One MDE API call returning the JSON body as an object. */
export async function mdeRequest(this: DefenderContext, req: Omit<DefenderRequest, 'api'>): Promise<IDataObject> {
	const body = await defenderApiRequest.call(this, { ...req, api: 'mde' });
	return (body ?? {}) as IDataObject;
}
