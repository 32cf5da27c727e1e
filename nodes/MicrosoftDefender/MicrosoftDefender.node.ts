import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { nodeCredentials, nodeProperties, operationSubtitle } from './actions/node.description';
import { router } from './actions/router';
import { listSearch, loadOptions } from './methods';

export class MicrosoftDefender implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Microsoft Defender',
		name: 'microsoftDefender',
		icon: { light: 'file:defender.svg', dark: 'file:defender.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: operationSubtitle(nodeProperties),
		description:
			'Work with Microsoft Defender for Endpoint and Defender XDR: alerts, incidents, advanced hunting, machine response actions, indicators, vulnerabilities and software',
		defaults: { name: 'Microsoft Defender' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: nodeCredentials,
		properties: nodeProperties,
	};

	methods = { listSearch, loadOptions };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
