/** Every MDE, XDR and Graph route the emulator serves (the core matches, authenticates and calls them). */
import type { RouteDef } from '../types';
import type { DefenderStore } from '../data/store';
import { alertRoutes } from './alerts';
import { huntingRoutes } from './hunting';
import { indicatorRoutes } from './indicators';
import { tvmRoutes } from './tvm';
import { incidentRoutes } from './incidents';
import { machineRoutes } from './machines';

export const routes: RouteDef<DefenderStore>[] = [...alertRoutes, ...machineRoutes, ...incidentRoutes, ...huntingRoutes, ...indicatorRoutes, ...tvmRoutes];
