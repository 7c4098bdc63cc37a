export { createCoordinatorService, createApp, SERVICE_NAME, VERSION, type CoordinatorDeps, type CoordinatorService } from './app.js';
export { startCoordinator, DEFAULT_PORT, type RunningService } from './main.js';
export { Coordinator } from './coordinator.js';
export { Scheduler } from './cycle.js';
