import { dashboardViewSuite } from './dashboard-view-suite.ts';

// The pilot (or the scenario AIFI_VIEW_SCENARIO names: a built-in one or a scenario file): eight finished weeks and the current one.
await dashboardViewSuite({ scenario: process.env.AIFI_VIEW_SCENARIO ?? 'stable', weeks: 9, screenshots: 'dashboard-view' });
