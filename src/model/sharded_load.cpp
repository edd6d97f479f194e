// Loading a sharded checkpoint: the index and its interval index, loads of any partition,
// consolidation into one model row (sharded.hpp).
#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "checksummed_table.hpp"
#include "common/file_bytes.hpp"
#include "common/parallel.hpp"
#include "integrity.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/legolas/table_io.hpp"
#include "sharded_internal.hpp"

namespace legolasflux {

struct ShardIndex::Tensor {
    std::string name;
    std::vector<size_t> rows;  // positions in rows_ of the tensor's chunks
    detail::BoxIndex boxes;    // over those chunks, in that order
};

bool is_sharded_step(const std::filesystem::path& dir) {
    std::error_code ec;
    return std::filesystem::is_directory(dir, ec) && std::filesystem::is_regular_file(dir / kShardIndexFile, ec);
}

std::vector<int64_t> sharded_steps(const std::filesystem::path& run_dir) {
    std::vector<int64_t> steps;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(run_dir, ec)) {
        const std::optional<int64_t> step = detail::sharded_step_of(entry.path().filename().string());
        if (step && is_sharded_step(entry.path())) steps.push_back(*step);
    }
    std::sort(steps.begin(), steps.end());
    return steps;
}

ShardIndex::ShardIndex(const std::filesystem::path& step_dir) : dir_(step_dir) {
    const std::filesystem::path path = step_dir / kShardIndexFile;
    legolas::ensure_declared<ShardIndexV1>();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw IoError(step_dir, "not a sharded checkpoint: it has no " + std::string(kShardIndexFile));
    const legolas::ReadResult index =
        detail::read_checksummed_table(path, detail::Unchecksummed::AcceptOlder);  // CorruptionError when damaged
    if (!legolas::default_registry().descends_from(index.schema_version, legolas::schema_version_of<ShardIndexV1>()))
        throw SchemaError(path.string() + ": its schema is " + legolas::to_string(index.schema_version) + ", not " +
                          legolas::to_string(legolas::schema_version_of<ShardIndexV1>()));
    rows_ = legolas::from_table<ShardIndexV1>(index.table);
    const std::string source = path.string();
    if (rows_.empty()) throw FormatError(source + ": the index lists no chunk");
    std::map<std::string, std::vector<size_t>> by_tensor;
    std::map<std::string, int64_t> file_sizes;
    for (size_t i = 0; i < rows_.size(); ++i) {
        const ShardIndexV1& row = rows_[i];
        const std::string what = source + ", row " + std::to_string(i) + " (tensor '" + row.tensor + "')";
        try {
            detail::check_shardable(row.tensor, detail::element_type_named(row.element_type));
            detail::check_box(what, row.global_shape, {row.chunk_offset, row.chunk_shape});
        } catch (const Error& e) {
            throw FormatError(what + ": " + e.what());
        }
        const int64_t bytes =
            detail::shape_element_count(row.chunk_shape) * element_size(detail::element_type_named(row.element_type));
        if (row.byte_length != bytes || row.byte_offset < 0 || row.checksum.size() != 16 || row.array_index < 0)
            throw FormatError(what + ": its byte range, array index or checksum is not that of its chunk");
        if (row.file.empty() || row.file.find('/') != std::string::npos || row.file.starts_with("."))
            throw FormatError(what + ": '" + row.file + "' is not the name of a file of the step directory");
        auto [size, inserted] = file_sizes.emplace(row.file, 0);
        if (inserted) {
            struct stat st {};
            if (::stat((step_dir / row.file).c_str(), &st) != 0)
                throw IoError(step_dir / row.file, "a shard file of the checkpoint is missing");
            size->second = st.st_size;
        }
        if (row.byte_offset > size->second - row.byte_length)
            throw CorruptionError((step_dir / row.file).string() + ": the chunk of tensor '" + row.tensor +
                                  "' lies at bytes [" + std::to_string(row.byte_offset) + ", " +
                                  std::to_string(row.byte_offset + row.byte_length) + "), past the file's end (" +
                                  std::to_string(size->second) + " bytes)");
        by_tensor[row.tensor].push_back(i);
    }
    for (auto& [name, positions] : by_tensor) {
        auto t = std::make_shared<Tensor>();
        t->name = name;
        t->rows = positions;
        std::vector<ChunkBox> boxes;
        const ShardIndexV1& first = rows_[positions.front()];
        for (const size_t p : positions) {
            if (rows_[p].element_type != first.element_type || rows_[p].global_shape != first.global_shape)
                throw FormatError(source + ": the chunks of tensor '" + name +
                                  "' disagree on its element type or shape");
            boxes.push_back({rows_[p].chunk_offset, rows_[p].chunk_shape});
        }
        t->boxes = detail::BoxIndex(std::move(boxes));
        try {
            detail::check_tiling(name, first.global_shape, t->boxes,
                                 [&](size_t i) { return detail::describe_box(t->boxes.boxes()[i]); });
        } catch (const Error& e) {
            throw FormatError(source + ": " + e.what());
        }
        tensors_.push_back(std::move(t));
    }
}

std::vector<std::string> ShardIndex::tensors() const {
    std::vector<std::string> out;
    for (const auto& t : tensors_) out.push_back(t->name);
    return out;
}

namespace {

template <class T>
const T& find_tensor(const std::vector<std::shared_ptr<const T>>& tensors, const std::string& name,
                     const std::filesystem::path& dir) {
    const auto it = std::lower_bound(tensors.begin(), tensors.end(), name,
                                     [](const auto& t, const std::string& n) { return t->name < n; });
    if (it == tensors.end() || (*it)->name != name)
        throw ShapeError("the checkpoint " + dir.string() + " has no tensor '" + name + "'");
    return **it;
}

}  // namespace

const ShardIndexV1& ShardIndex::tensor(const std::string& name) const {
    return rows_[find_tensor(tensors_, name, dir_).rows.front()];
}

ElementType ShardIndex::element_type(const std::string& name) const {
    return detail::element_type_named(tensor(name).element_type);  // checked when the index was read
}

std::vector<size_t> ShardIndex::overlapping(const std::string& name, const ChunkBox& box) const {
    const Tensor& t = find_tensor(tensors_, name, dir_);
    std::vector<size_t> out;
    for (const size_t i : t.boxes.overlapping(box)) out.push_back(t.rows[i]);
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<ShardReadRange> load_sharded(const ShardIndex& index, std::span<const WantedTensor> wanted,
                                         const ShardedLoadOptions& options) {
    const auto& rows = index.chunks();
    // 1. Check what is wanted and find the saved chunks it overlaps.
    struct Copy {
        size_t saved;  // row of the index
        const WantedChunk* to;
        ChunkBox region;
        int element_size;
    };
    std::vector<Copy> copies;
    std::vector<size_t> needed;
    for (const WantedTensor& w : wanted) {
        const ShardIndexV1& saved = index.tensor(w.name);
        const std::string what = "tensor '" + w.name + "' of " + index.dir().string();
        if (saved.element_type != element_type_name(w.element_type))
            throw ShapeError(what + " holds " + saved.element_type + ", not " +
                             std::string(element_type_name(w.element_type)));
        if (saved.global_shape != w.global_shape)
            throw ShapeError(what + " has shape " + detail::describe_shape(saved.global_shape) + ", not " +
                             detail::describe_shape(w.global_shape));
        const int size = element_size(w.element_type);
        for (const WantedChunk& c : w.chunks) {
            detail::check_box(what, w.global_shape, c.box);
            if (static_cast<int64_t>(c.destination.size()) != c.box.element_count() * size)
                throw InvalidArgument(what + ": the chunk " + detail::describe_box(c.box) + " needs " +
                                      std::to_string(c.box.element_count() * size) + " bytes, its destination has " +
                                      std::to_string(c.destination.size()));
            for (const size_t s : index.overlapping(w.name, c.box)) {
                copies.push_back(
                    {s, &c, detail::intersection({rows[s].chunk_offset, rows[s].chunk_shape}, c.box), size});
                needed.push_back(s);
            }
        }
    }
    std::sort(needed.begin(), needed.end());
    needed.erase(std::unique(needed.begin(), needed.end()), needed.end());

    // 2. Map the files and verify the saved chunks that are needed, and only those.
    std::map<std::string, common::FileBytes> files;
    std::vector<const uint8_t*> values(rows.size(), nullptr);
    for (const size_t s : needed) {
        auto [it, inserted] = files.emplace(rows[s].file, common::FileBytes{});
        if (inserted) it->second = common::read_file_bytes(index.dir() / rows[s].file, true);
        if (rows[s].byte_offset > it->second.size - rows[s].byte_length)
            throw CorruptionError((index.dir() / rows[s].file).string() + ": the chunk of tensor '" + rows[s].tensor +
                                  "' lies past the file's end");
        values[s] = it->second.data + rows[s].byte_offset;
    }
    const unsigned threads = common::thread_count(options.threads);
    if (options.verify_checksums) {
        const bool many = needed.size() >= threads;
        common::parallel_for(needed.size(), many ? threads : 1, [&](size_t k) {
            const size_t s = needed[k];
            const detail::Bytes piece(values[s], static_cast<size_t>(rows[s].byte_length));
            const std::string actual = detail::hex16(detail::values_checksum(
                std::span(&piece, 1), detail::ChecksumAlgorithm::Xxh3_64Chunked, many ? 1 : threads));
            if (actual != rows[s].checksum)
                throw CorruptionError((index.dir() / rows[s].file).string() + ": the chunk " +
                                      detail::describe_box({rows[s].chunk_offset, rows[s].chunk_shape}) +
                                      " of tensor '" + rows[s].tensor + "' (array " +
                                      std::to_string(rows[s].array_index) + ") fails its checksum: recorded " +
                                      rows[s].checksum + ", computed " + actual);
        });
    }

    // 3. Copy, in pieces of a few MiB along the outermost dimension so that every core shares it.
    struct Piece {
        const Copy* copy;
        ChunkBox region;
    };
    std::vector<Piece> pieces;
    constexpr int64_t kPiece = int64_t{4} << 20;
    for (const Copy& c : copies) {
        const int64_t bytes = c.region.element_count() * c.element_size;
        if (c.region.shape.empty() || bytes <= kPiece || c.region.shape[0] == 1) {
            pieces.push_back({&c, c.region});
            continue;
        }
        const int64_t per_index = bytes / c.region.shape[0];
        const int64_t step = std::max<int64_t>(1, kPiece / per_index);
        for (int64_t i = 0; i < c.region.shape[0]; i += step) {
            ChunkBox r = c.region;
            r.offset[0] += i;
            r.shape[0] = std::min(step, c.region.shape[0] - i);
            pieces.push_back({&c, std::move(r)});
        }
    }
    common::parallel_for(pieces.size(), threads, [&](size_t k) {
        const Copy& c = *pieces[k].copy;
        const ShardIndexV1& s = rows[c.saved];
        detail::copy_region(pieces[k].region, {s.chunk_offset, s.chunk_shape}, values[c.saved], c.to->box,
                            c.to->destination.data(), c.element_size);
    });

    std::vector<ShardReadRange> ranges;
    for (const size_t s : needed) ranges.push_back({rows[s].file, rows[s].byte_offset, rows[s].byte_length});
    std::sort(ranges.begin(), ranges.end(), [](const ShardReadRange& a, const ShardReadRange& b) {
        return std::tie(a.file, a.offset) < std::tie(b.file, b.offset);
    });
    return ranges;
}

void consolidate_sharded(const std::filesystem::path& step_dir, const std::filesystem::path& out,
                         const ModelWriteOptions& options) {
    const ShardIndex index(step_dir);
    std::vector<WantedTensor> wanted;
    std::vector<FlatArray> arrays;
    ModelWriteOptions write = options;
    write.weight_names.clear();
    for (const std::string& name : index.tensors()) {
        const ShardIndexV1& t = index.tensor(name);
        const ElementType type = detail::element_type_named(t.element_type);
        const ChunkBox box = whole_box(t.global_shape);
        arrow::Buffer values = arrow::Buffer::allocate(box.element_count() * element_size(type));
        wanted.push_back({name,
                          type,
                          t.global_shape,
                          {WantedChunk{box, {values.mutable_data(), static_cast<size_t>(values.size())}}}});
        arrays.emplace_back(type, std::vector<int64_t>(t.global_shape.rbegin(), t.global_shape.rend()), values);
        write.weight_names.push_back(name);
    }
    load_sharded(index, wanted);
    ModelV1 row;
    const ElementType type = arrays.front().element_type;
    row.weights = Weights(type, std::move(arrays));
    write_model_row(out, row, write);
}

}  // namespace legolasflux
