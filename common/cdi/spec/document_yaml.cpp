// The spec reader: libyaml's event parser -> DocNode (document.h).
//
// Why libyaml (Debian libyaml-dev): it is the parser the reference's yaml.v2 was ported from, so it accepts and
// rejects the text the reference does, and it is fast enough that no second reader pays its way (bench/cdi_bench,
// BM_Node_ParseDocuments: a node's three spec files parse in ~0.6 ms, of which hand-written JSON and block-YAML
// readers would save under 0.5 ms).
//
// The tree: an empty node or an untagged plain null spelling (~ null Null NULL) is a null node; a scalar is "plain"
// (resolved by YAML 1.1 rules later) when untagged-plain or tagged with a yaml.org tag other than !!str; mapping items
// keep duplicates; only the first document is read; an alias copies the anchored subtree.
#include <yaml.h>

#include <memory>
#include <unordered_map>

#include "common/cdi/spec/document.h"
#include "common/error.h"

namespace gpuhooks::cdi {
namespace {

const char* text(const yaml_char_t* s) { return reinterpret_cast<const char*>(s); }

std::string position(const yaml_mark_t& mark) {
  return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1);
}

class LibyamlParser {
 public:
  explicit LibyamlParser(std::string_view data) {
    if (yaml_parser_initialize(&parser_) == 0) throw Error("yaml: out of memory");
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  }
  ~LibyamlParser() { yaml_parser_delete(&parser_); }
  LibyamlParser(const LibyamlParser&) = delete;
  LibyamlParser& operator=(const LibyamlParser&) = delete;

  // Throws the syntax error libyaml found, worded from its problem and context marks.
  void next(yaml_event_t& event) {
    if (yaml_parser_parse(&parser_, &event) != 0) return;
    std::string what = parser_.problem ? parser_.problem : "unknown problem parsing YAML content";
    std::string message = "yaml: " + position(parser_.problem_mark) + ": " + what;
    if (parser_.context) message += " (" + std::string(parser_.context) + " at " + position(parser_.context_mark) + ")";
    throw Error(message);
  }

 private:
  yaml_parser_t parser_;
};

// Owns one event until the next one is read.
class Event {
 public:
  Event() = default;
  ~Event() { clear(); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  void read(LibyamlParser& parser) {
    clear();
    parser.next(event_);
    live_ = true;
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

bool is_null_spelling(std::string_view v) { return v == "~" || v == "null" || v == "Null" || v == "NULL"; }

// Explicit tags: `!!str` and unknown local tags keep the text; `!!int`, `!!bool`... resolve like plain scalars.
bool tag_resolves_as_plain(const char* tag) {
  constexpr std::string_view kYamlOrg = "tag:yaml.org,2002:";
  std::string_view t = tag;
  return t.substr(0, kYamlOrg.size()) == kYamlOrg && t != "tag:yaml.org,2002:str";
}

class TreeBuilder {
 public:
  void add_scalar(const yaml_event_t& e) {
    const auto& s = e.data.scalar;
    std::string_view value(text(s.value), s.length);
    DocNode n;
    bool null = s.tag == nullptr && s.style == YAML_PLAIN_SCALAR_STYLE && (value.empty() || is_null_spelling(value));
    if (!null) {
      n.kind = DocNode::Kind::kScalar;
      n.plain = s.tag == nullptr ? s.style == YAML_PLAIN_SCALAR_STYLE : tag_resolves_as_plain(text(s.tag));
      n.text.assign(value);
    }
    add(std::move(n), open_anchor(s.anchor));
  }

  // yaml.v2's rules: an alias names the newest node of its anchor, which must be complete.
  void add_alias(const yaml_event_t& e) {
    std::string name = text(e.data.alias.anchor);
    auto it = anchors_.find(name);
    if (it == anchors_.end())
      throw Error("yaml: " + position(e.start_mark) + ": unknown anchor '" + name + "' referenced");
    if (!it->second->complete)
      throw Error("yaml: " + position(e.start_mark) + ": anchor '" + name + "' value contains itself");
    add(DocNode(it->second->node), nullptr);
  }

  void open(DocNode::Kind kind, const yaml_char_t* anchor) {
    stack_.push_back({DocNode{}, open_anchor(anchor)});
    stack_.back().node.kind = kind;
  }

  void close() {
    Open o = std::move(stack_.back());
    stack_.pop_back();
    add(std::move(o.node), o.anchor);
  }

  DocNode take_root() { return std::move(root_); }

 private:
  struct Anchor {
    DocNode node;
    bool complete = false;
  };
  using AnchorPtr = std::shared_ptr<Anchor>;
  struct Open {
    DocNode node;
    AnchorPtr anchor;
  };

  // A name is (re)defined where its node starts, as yaml.v2 does; the node is its value once the node ends.
  AnchorPtr open_anchor(const yaml_char_t* name) {
    if (name == nullptr) return nullptr;
    return anchors_[text(name)] = std::make_shared<Anchor>();
  }

  void add(DocNode node, const AnchorPtr& anchor) {
    if (anchor) *anchor = Anchor{node, true};
    if (stack_.empty()) {
      root_ = std::move(node);
    } else {
      stack_.back().node.items.push_back(std::move(node));
    }
  }

  std::vector<Open> stack_;
  DocNode root_;
  std::unordered_map<std::string, AnchorPtr> anchors_;
};

}  // namespace

DocNode load_document(std::string_view data) {
  LibyamlParser parser(data);
  Event event;
  TreeBuilder builder;
  for (;;) {
    event.read(parser);
    switch (event->type) {
      case YAML_SCALAR_EVENT: builder.add_scalar(*event); break;
      case YAML_ALIAS_EVENT: builder.add_alias(*event); break;
      case YAML_SEQUENCE_START_EVENT: builder.open(DocNode::Kind::kSequence, event->data.sequence_start.anchor); break;
      case YAML_MAPPING_START_EVENT: builder.open(DocNode::Kind::kMapping, event->data.mapping_start.anchor); break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: builder.close(); break;
      case YAML_STREAM_END_EVENT: return builder.take_root();  // no document at all: null
      case YAML_DOCUMENT_END_EVENT:
        // The first document only, as yaml.v2 Unmarshal reads it. libyaml ends an implicit document without looking
        // at what follows its root node, and yaml.v2 ignores that text; a spec with text there that starts no
        // document (`{a: 1} ]`, `a\n: b`) is more likely cut or corrupted than meant, so reading one event more
        // makes it the syntax error it is.
        event.read(parser);
        return builder.take_root();
      default: break;  // stream and document starts
    }
  }
}

}  // namespace gpuhooks::cdi
