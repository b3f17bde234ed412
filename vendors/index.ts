export { startSimulatedVendor, simulateInference, type SimulatedVendor } from './vendor-service.ts';
export { vendorBehaviour, type VendorBehaviour, type VendorBehaviourInput } from './behaviour.ts';
export { jobRequest, jobStatus, inferenceResult, encodeTruth, decodeTruth, type JobRequest, type JobStatus, type InferenceResult, type SimulatedTruth } from './protocol.ts';
export { Random } from './random.ts';
