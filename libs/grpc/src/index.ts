export { GrpcEdge, grpcServerDuration, serverCredentials, type EdgeHandler, type EdgeHandlers, type GrpcEdgeOptions, type TlsFiles } from './edge.js';
export { addHealth, addReflection, bindServer, GrpcHealth, HealthImplementation, shutdownServer, type Readiness, type ServingStatus } from './server.js';
export {
  addService,
  createClient,
  metadataValue,
  serviceDefinition,
  type CallOptions,
  type ClientStream,
  type HandlerFor,
  type ServiceClient,
  type ServiceHandlers,
} from './service.js';
