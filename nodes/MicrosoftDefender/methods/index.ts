// listSearch and loadOptions methods, registered on the node. Owners add their files here.
import { searchMachines } from './listSearch/machines';

export const listSearch = {
	searchMachines,
};
export const loadOptions = {};
