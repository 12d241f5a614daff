"""
Prints, on stdout, the serialized FileDescriptorSet of Pulumi's gRPC protocol as the installed
``pulumi`` package (pinned in requirements.txt) ships it: ``pulumi/provider.proto``,
``pulumi/engine.proto`` and the ``google.rpc.Status`` of its error details, with every file they
import. These are the definitions the engine and the official stubs are built from;
``tools/grpc-codegen`` generates the plugin's Rust code from them, and
``tests/it/grpc_generated_code.rs`` checks it was generated from today's.
"""

import sys

from google.protobuf import descriptor_pb2
from pulumi.runtime.proto import engine_pb2, provider_pb2, status_pb2


def main() -> None:
    files: dict[str, descriptor_pb2.FileDescriptorProto] = {}

    def add(descriptor) -> None:  # type: ignore[no-untyped-def]
        if descriptor.name in files:
            return
        for dependency in descriptor.dependencies:
            add(dependency)
        proto = descriptor_pb2.FileDescriptorProto()
        descriptor.CopyToProto(proto)
        files[descriptor.name] = proto

    for module in (provider_pb2, engine_pb2, status_pb2):
        add(module.DESCRIPTOR)
    descriptor_set = descriptor_pb2.FileDescriptorSet()
    descriptor_set.file.extend(files.values())
    sys.stdout.buffer.write(descriptor_set.SerializeToString())


if __name__ == "__main__":
    main()
