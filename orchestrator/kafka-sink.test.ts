import { describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { kafkaRetriable } from './kafka-sink.ts';

const { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } = kafkajs;

describe('what the Kafka sink tells the emitter to try again', () => {
  it('judges kafkajs spent retries by their cause: a refused connection is tried again, a refusal of the events is not', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    expect(kafkaRetriable(refused)).toBe(true);
    expect(kafkaRetriable(new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 1000 }))).toBe(true);
    const invalid = new KafkaJSNonRetriableError('The record is too large');
    expect(kafkaRetriable(invalid)).toBe(false);
    expect(kafkaRetriable(new KafkaJSNumberOfRetriesExceeded(invalid, { retryCount: 5, retryTime: 1000 }))).toBe(false);
    expect(kafkaRetriable(new Error('socket hang up'))).toBe(true);
  });
});
