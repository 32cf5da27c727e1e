import type { INodeProperties } from 'n8n-workflow';

export const softwareIdProperty: INodeProperties = {
	displayName: 'Software ID',
	name: 'softwareId',
	type: 'string',
	required: true,
	default: '',
	placeholder: 'e.g. microsoft-_-edge',
	description: 'The software ID in the form vendor-_-product',
};
