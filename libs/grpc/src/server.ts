import { fromBinary, toBinary, type DescFile } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, type DescriptorProto } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath, type ServingStatus } from 'grpc-health-check';

export { HealthImplementation, type ServingStatus };

/** Every file a set of files needs, dependencies first, each once. */
function withDependencies(files: readonly DescFile[]): DescFile[] {
  const seen = new Set<string>();
  const out: DescFile[] = [];
  const visit = (file: DescFile) => {
    if (seen.has(file.name)) return;
    seen.add(file.name);
    for (const dep of file.dependencies) visit(dep);
    out.push(file);
  };
  for (const file of files) visit(file);
  return out;
}

/**
 * Server reflection (grpc.reflection.v1 and v1alpha) for the given generated files and the health
 * service, so grpcurl and similar tools can list and call the services without the .proto files.
 * The descriptors come from the generated code itself (the same bytes the code was generated
 * from), the health descriptor from grpc-health-check's proto via proto-loader.
 */
export function addReflection(server: grpc.Server, files: readonly DescFile[]): void {
  const fileDescriptorProtos = withDependencies(files).map((f) => Buffer.from(toBinary(FileDescriptorProtoSchema, f.proto)));
  const health = loadSync(healthProtoPath, { keepCase: true });
  const healthFiles = new Map<string, Buffer>();
  for (const value of Object.values(health)) {
    for (const bytes of (value as { fileDescriptorProtos?: Buffer[] }).fileDescriptorProtos ?? []) {
      const file = fromBinary(FileDescriptorProtoSchema, bytes);
      for (const message of file.messageType) fixMapEntries(message, `.${file.package}`);
      healthFiles.set(file.name, Buffer.from(toBinary(FileDescriptorProtoSchema, file)));
    }
  }
  const definition = {
    'clickwise.generated': { fileDescriptorProtos: [...fileDescriptorProtos, ...healthFiles.values()] },
  } as unknown as ConstructorParameters<typeof ReflectionService>[0];
  new ReflectionService(definition).addToServer(server);
}

/**
 * protobufjs (under proto-loader) names a map's entry type after the field ("Statuses") where
 * protoc names it "StatusesEntry"; strict readers (grpcurl, Go) refuse the former.
 */
function fixMapEntries(message: DescriptorProto, scope: string): void {
  const name = `${scope}.${message.name}`;
  for (const nested of message.nestedType) {
    if (!nested.options?.mapEntry) {
      fixMapEntries(nested, name);
      continue;
    }
    const field = message.field.find((f) => f.typeName === nested.name || f.typeName === `${name}.${nested.name}`);
    if (!field) continue;
    const entry = `${field.name.replace(/(^|_)([a-z])/g, (_m, _u: string, c: string) => c.toUpperCase())}Entry`;
    nested.name = entry;
    field.typeName = `${name}.${entry}`;
  }
}

/** A readiness the health service follows (libs/service's HealthService fits). */
export interface Readiness {
  readonly readiness: { readonly ready: boolean };
  onChange(listener: (ready: boolean) => void): void;
}

/** The overall ('') and per-service statuses at once. */
export class GrpcHealth {
  constructor(
    readonly implementation: HealthImplementation,
    private readonly services: readonly string[],
  ) {}

  set(serving: boolean): void {
    const status: ServingStatus = serving ? 'SERVING' : 'NOT_SERVING';
    this.implementation.setStatus('', status);
    for (const s of this.services) this.implementation.setStatus(s, status);
  }
}

/**
 * Standard health checking (grpc.health.v1.Health Check/Watch). The overall status is the empty
 * service name; every listed service has the same. With `follow`, it says SERVING exactly while
 * the process is ready, and changes as readiness does.
 */
export function addHealth(server: grpc.Server, services: readonly string[], follow?: Readiness): GrpcHealth {
  const statuses: Record<string, ServingStatus> = { '': 'NOT_SERVING' };
  for (const s of services) statuses[s] = 'NOT_SERVING';
  const implementation = new HealthImplementation(statuses);
  implementation.addToServer(server);
  const health = new GrpcHealth(implementation, services);
  if (follow) {
    health.set(follow.readiness.ready);
    follow.onChange((ready) => health.set(ready));
  }
  return health;
}

/** Binds and starts; resolves with the bound port (useful with port 0). */
export function bindServer(server: grpc.Server, address: string, credentials = grpc.ServerCredentials.createInsecure()): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) => {
      if (error) reject(error);
      else resolve(port);
    });
  });
}

/** Stops taking calls and waits for running ones up to `graceMs`, then cancels what is left. */
export function shutdownServer(server: grpc.Server, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
