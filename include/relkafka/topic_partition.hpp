#pragma once

#include <cstdint>
#include <string>
#include <tuple>

namespace relkafka {

/// A partition of a topic: what pause(), resume() and the offset queries of
/// Consumer take, and what PartitionOffset and Record name.
struct TopicPartition {
    std::string topic;
    std::int32_t partition = -1;

    friend bool operator==(const TopicPartition& a, const TopicPartition& b) {
        return a.partition == b.partition && a.topic == b.topic;
    }
    friend bool operator!=(const TopicPartition& a, const TopicPartition& b) { return !(a == b); }
    friend bool operator<(const TopicPartition& a, const TopicPartition& b) {
        return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
    }
};

/// Logical offsets, for Consumer::seek() and ConsumerConfig::partitions.
/// The first offset still in the log (the low watermark).
inline constexpr std::int64_t offset_beginning = -2;
/// The offset the next record written will have (the high watermark).
inline constexpr std::int64_t offset_end = -1;
/// The group's committed offset; auto.offset.reset where there is none.
inline constexpr std::int64_t offset_committed = -1000;

/// A position in a partition. In a commit (CommitResult, commit(),
/// committed positions) the offset is that of the next record to read;
/// Record::position() and Delivery::position() give a record's own offset.
struct PartitionOffset {
    std::string topic;
    std::int32_t partition = -1;
    std::int64_t offset = -1;

    TopicPartition topic_partition() const { return {topic, partition}; }

    friend bool operator==(const PartitionOffset& a, const PartitionOffset& b) {
        return a.partition == b.partition && a.offset == b.offset && a.topic == b.topic;
    }
    friend bool operator!=(const PartitionOffset& a, const PartitionOffset& b) { return !(a == b); }
};

}  // namespace relkafka
