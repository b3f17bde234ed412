export { eventToRow, clickhouseTime } from './event-row.ts';
