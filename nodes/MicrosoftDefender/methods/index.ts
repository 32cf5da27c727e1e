// listSearch and loadOptions methods, registered on the node. Owners add their files here.
import { searchAlerts } from './listSearch/alerts';
import { searchIncidents } from './listSearch/incidents';
import { searchMachines } from './listSearch/machines';

export const listSearch = {
	searchAlerts,
	searchIncidents,
	searchMachines,
};
export const loadOptions = {};
