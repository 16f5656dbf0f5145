// YAML front end: libyaml's event parser -> DocNode, with yaml-cpp behind it for text libyaml rejects. Block-style
// spec text is read before either, by the fast path in document_yaml_block.cpp (load_yaml_document, below).
//
// Why libyaml (Debian libyaml-dev, an added dependency on purpose): a hook loads every spec file on every container
// start, and yaml-cpp's scanner was nearly all of that cost (bench/cdi_bench: ~50 ms of CPU for 100 YAML files).
// libyaml's C parser does the same work about 4.5 times faster (51 -> 11 ms for those files), and it is the parser
// the reference's yaml.v2 was ported from, so it reads YAML 1.1 text the way the reference does.
//
// The tree is shaped exactly as the yaml-cpp front end (document_yaml_cpp.cpp) shapes it, which is what every rule
// below copies: an empty node or an untagged plain null spelling (~ null Null NULL) is a null node; a scalar is
// "plain" (resolved by YAML 1.1 rules later) when untagged-plain or tagged with a yaml.org tag other than !!str;
// mapping items keep duplicates; only the first document is read; aliases copy the anchored subtree.
// When libyaml fails, yaml-cpp parses the text again: the error keeps its wording and position, and text that only
// yaml-cpp accepts still loads. Errors are rare, so the second parse costs nothing in practice.
#include <yaml.h>

#include <cstdint>
#include <unordered_map>

#include "common/cdi/document_yaml_front_ends.h"

namespace gpuhooks::cdi {
namespace {

class LibyamlParser {
 public:
  explicit LibyamlParser(std::string_view data) {
    ok_ = yaml_parser_initialize(&parser_) != 0;
    if (ok_) yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  }
  ~LibyamlParser() {
    if (ok_) yaml_parser_delete(&parser_);
  }
  LibyamlParser(const LibyamlParser&) = delete;
  LibyamlParser& operator=(const LibyamlParser&) = delete;

  // False on a syntax error (or when the parser could not be set up).
  bool next(yaml_event_t& event) { return ok_ && yaml_parser_parse(&parser_, &event) != 0; }

 private:
  yaml_parser_t parser_;
  bool ok_ = false;
};

// Owns one event until the next one is read.
class Event {
 public:
  Event() = default;
  ~Event() { clear(); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  bool read(LibyamlParser& parser) {
    clear();
    live_ = parser.next(event_);
    return live_;
  }
  const yaml_event_t& operator*() const { return event_; }
  const yaml_event_t* operator->() const { return &event_; }

 private:
  void clear() {
    if (live_) yaml_event_delete(&event_);
    live_ = false;
  }
  yaml_event_t event_;
  bool live_ = false;
};

const char* text(const yaml_char_t* s) { return reinterpret_cast<const char*>(s); }

bool is_null_spelling(std::string_view v) { return v == "~" || v == "null" || v == "Null" || v == "NULL"; }

// yaml-cpp's tag rule for "plain": its "?" (no tag, plain style) or a yaml.org tag other than !!str.
bool tag_resolves_as_plain(const char* tag) {
  constexpr std::string_view kYamlOrg = "tag:yaml.org,2002:";
  std::string_view t = tag;
  return t.substr(0, kYamlOrg.size()) == kYamlOrg && t != "tag:yaml.org,2002:str";
}

class TreeBuilder {
 public:
  void add_scalar(const yaml_event_t& e) {
    const auto& s = e.data.scalar;
    AnchorId anchor = register_anchor(s.anchor);
    std::string_view value(text(s.value), s.length);
    DocNode n;
    if (s.tag == nullptr) {
      // libyaml reports an empty node as an empty plain scalar (a plain scalar with text is never empty).
      bool null = s.style == YAML_PLAIN_SCALAR_STYLE && (value.empty() || is_null_spelling(value));
      if (null) return add(std::move(n), anchor);
      n.plain = s.style == YAML_PLAIN_SCALAR_STYLE;
    } else {
      n.plain = tag_resolves_as_plain(text(s.tag));
      root_is_tagged_empty_node_ = stack_.empty() && s.style == YAML_PLAIN_SCALAR_STYLE && value.empty();
    }
    n.kind = DocNode::Kind::kScalar;
    n.text.assign(value);
    add(std::move(n), anchor);
  }

  // False for an alias yaml-cpp would reject: to an unknown anchor, or to one whose node is still open.
  bool add_alias(const yaml_event_t& e) {
    auto name = names_.find(text(e.data.alias.anchor));
    if (name == names_.end()) return false;
    auto node = nodes_.find(name->second);
    if (node == nodes_.end()) return false;
    add(DocNode(node->second), 0);
    return true;
  }

  void open(DocNode::Kind kind, const yaml_char_t* anchor) {
    stack_.push_back({DocNode{}, register_anchor(anchor)});
    stack_.back().node.kind = kind;
  }

  void close() {
    Open o = std::move(stack_.back());
    stack_.pop_back();
    add(std::move(o.node), o.anchor);
  }

  // yaml-cpp reads a tagged empty root node (`--- !!str`) as null when nothing follows it, not even `...` or `---`.
  DocNode take_root(bool nothing_follows_root) {
    if (root_is_tagged_empty_node_ && nothing_follows_root) return DocNode{};
    return std::move(root_);
  }

 private:
  // yaml-cpp's anchor scheme, copied so that aliases resolve alike: a name gets a new id where its node starts, and
  // the id gets its node where the node ends. An alias inside the node it names, or to an older node of a name being
  // redefined, finds no node.
  using AnchorId = uint32_t;  // 0: none
  AnchorId register_anchor(const yaml_char_t* name) {
    if (name == nullptr) return 0;
    return names_[text(name)] = ++last_anchor_;
  }

  struct Open {
    DocNode node;
    AnchorId anchor;
  };

  void add(DocNode node, AnchorId anchor) {
    if (anchor != 0) nodes_[anchor] = node;
    if (stack_.empty()) {
      root_ = std::move(node);
    } else {
      stack_.back().node.items.push_back(std::move(node));
    }
  }

  std::vector<Open> stack_;
  DocNode root_;
  bool root_is_tagged_empty_node_ = false;
  AnchorId last_anchor_ = 0;
  std::unordered_map<std::string, AnchorId> names_;
  std::unordered_map<AnchorId, DocNode> nodes_;
};

}  // namespace

std::optional<DocNode> load_yaml_with_libyaml(std::string_view data) {
  LibyamlParser parser(data);
  Event event;
  TreeBuilder builder;
  for (;;) {
    if (!event.read(parser)) return std::nullopt;
    switch (event->type) {
      case YAML_SCALAR_EVENT: builder.add_scalar(*event); break;
      case YAML_ALIAS_EVENT:
        if (!builder.add_alias(*event)) return std::nullopt;
        break;
      case YAML_SEQUENCE_START_EVENT: builder.open(DocNode::Kind::kSequence, event->data.sequence_start.anchor); break;
      case YAML_MAPPING_START_EVENT: builder.open(DocNode::Kind::kMapping, event->data.mapping_start.anchor); break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: builder.close(); break;
      case YAML_STREAM_END_EVENT: return builder.take_root(true);  // no document at all: null
      case YAML_DOCUMENT_END_EVENT: {
        // The first document only, as yaml.v2 Unmarshal and yaml-cpp's HandleNextDocument read it. libyaml ends an
        // implicit document without looking at what follows the root node; yaml-cpp rejects text there that does
        // not start a document (`a\n: b`, `{a: 1} x`), so the next event must be a document start or the end.
        bool explicit_end = event->data.document_end.implicit == 0;
        if (!event.read(parser)) return std::nullopt;
        return builder.take_root(!explicit_end && event->type == YAML_STREAM_END_EVENT);
      }
      default: break;  // stream and document starts
    }
  }
}

DocNode load_yaml_document(std::string_view data) {
  if (auto doc = load_block_yaml_subset(data)) return std::move(*doc);
  if (auto doc = load_yaml_with_libyaml(data)) return std::move(*doc);
  return load_yaml_with_yaml_cpp(data);
}

DocNode load_document(std::string_view data) {
  if (auto json = load_json_document(data)) return std::move(*json);
  return load_yaml_document(data);
}

}  // namespace gpuhooks::cdi
