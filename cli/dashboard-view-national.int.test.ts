import { dashboardViewSuite } from './dashboard-view-suite.ts';

// The national network (70 hospitals, 20 products) at 2 % of its volume, loaded by the bulk loader: eight finished weeks and the current one.
await dashboardViewSuite({ scenario: 'national', weeks: 9, bulkVolumeFactor: 0.02, screenshots: 'dashboard-view-national' });
