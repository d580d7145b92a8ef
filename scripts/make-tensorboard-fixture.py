#!/usr/bin/python3
"""Writes test/fixtures/tensorboard-reference.tfevents: a TensorBoard event file made independently of
atrous, by Google's protobuf runtime (Debian's python3-protobuf) from TensorFlow's event.proto /
summary.proto field definitions, with this script's own TFRecord framing and CRC-32C.
test/io-tensorboard.test.ts checks that lib/io/tensorboard.ts writes the same bytes for the same events.

    apt-get install -y python3-protobuf && /usr/bin/python3 scripts/make-tensorboard-fixture.py
"""
import os
import struct

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'tensorboard-reference.tfevents')

F = descriptor_pb2.FieldDescriptorProto


def field(msg, name, number, ftype, label=F.LABEL_OPTIONAL, type_name=None):
    f = msg.field.add(name=name, number=number, type=ftype, label=label)
    if type_name:
        f.type_name = type_name


def event_class():
    """tensorflow.Event with the Summary parts TensorBoard's scalar and image dashboards read."""
    fd = descriptor_pb2.FileDescriptorProto(name='atrous_reference_event.proto', package='tensorflow', syntax='proto3')
    summary = fd.message_type.add(name='Summary')
    image = summary.nested_type.add(name='Image')
    field(image, 'height', 1, F.TYPE_INT32)
    field(image, 'width', 2, F.TYPE_INT32)
    field(image, 'colorspace', 3, F.TYPE_INT32)
    field(image, 'encoded_image_string', 4, F.TYPE_BYTES)
    value = summary.nested_type.add(name='Value')
    field(value, 'tag', 1, F.TYPE_STRING)
    field(value, 'simple_value', 2, F.TYPE_FLOAT)
    field(value, 'image', 4, F.TYPE_MESSAGE, type_name='.tensorflow.Summary.Image')
    field(summary, 'value', 1, F.TYPE_MESSAGE, F.LABEL_REPEATED, '.tensorflow.Summary.Value')
    event = fd.message_type.add(name='Event')
    field(event, 'wall_time', 1, F.TYPE_DOUBLE)
    field(event, 'step', 2, F.TYPE_INT64)
    field(event, 'file_version', 3, F.TYPE_STRING)
    field(event, 'summary', 5, F.TYPE_MESSAGE, type_name='.tensorflow.Summary')
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName('tensorflow.Event'))


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data):
    length = struct.pack('<Q', len(data))
    return length + struct.pack('<I', masked(length)) + data + struct.pack('<I', masked(data))


def main():
    assert crc32c(b'123456789') == 0xE3069283  # the CRC-32C check value
    Event = event_class()
    events = [Event(wall_time=1700000000.5, file_version='brain.Event:2')]
    # The same events test/io-tensorboard.test.ts writes: scalars at steps 0, 1 and 250, then an image.
    for step, wall, scalars in [
        (0, 1700000001.25, {'train/loss': 2.3025851, 'train/lr': 0.002}),
        (1, 1700000002.0, {'train/loss': 2.1, 'train/lr': 0.0019999, 'train/throughput': 812.5}),
        (250, 1700000100.75, {'test/loss': 0.4375, 'test/accuracy': 0.875}),
    ]:
        e = Event(wall_time=wall, step=step)
        for tag, v in scalars.items():
            e.summary.value.add(tag=tag, simple_value=v)
        events.append(e)
    e = Event(wall_time=1700000101.0, step=250)
    v = e.summary.value.add(tag='test/samples')
    v.image.height, v.image.width, v.image.colorspace = 2, 3, 1
    v.image.encoded_image_string = bytes(range(1, 17))  # opaque bytes: the framing is what is checked
    events.append(e)
    with open(OUT, 'wb') as f:
        for e in events:
            f.write(record(e.SerializeToString()))
    print(f'wrote {OUT}: {len(events)} events')


if __name__ == '__main__':
    main()
