export { needService, servicesRequired, tempDir, freePort, waitFor, startProcess, startService, type RunningProcess } from './services.ts';
export { startClickHouseServer, clickhouseServerInstalled, type ClickHouseServer } from './clickhouse-server.ts';
export { sampleStudyEvents, sampleKey } from './sample-events.ts';
export { startOrthanc, orthancInstalled, type Orthanc, type OrthancOptions } from './orthanc.ts';
export { outageSwitch } from './flaky-store.ts';
export { startKafka, kafkaInstalled, type KafkaBroker } from './kafka.ts';
export { startAlertmanager, alertmanagerInstalled } from './alertmanager.ts';
export { migratedStore, emptyStore } from './store.ts';
export { launchChromium, chromiumInstalled } from './browser.ts';
