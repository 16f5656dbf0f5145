// yaml-cpp front end: events -> DocNode. Since libyaml took over (document_yaml.cpp), this one runs only for text
// libyaml rejects: it words the syntax error as gpuhooks always has ("yaml: line L, column C: ...") and still accepts
// what yaml-cpp accepts and libyaml does not, so no text that loaded before fails now.
// The event API, not YAML::Load: it avoids yaml-cpp's shared node graph, and anchors are resolved by copying the
// anchored subtree (aliases in CDI specs are rare and small).
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <sstream>
#include <unordered_map>

#include "common/cdi/document_yaml_front_ends.h"
#include "common/error.h"

namespace gpuhooks::cdi {
namespace {

class TreeBuilder : public YAML::EventHandler {
 public:
  DocNode take_root() { return root_ ? std::move(*root_) : DocNode{}; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override { add(DocNode{}, anchor); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) throw YAML::ParserException(mark, "unknown anchor");
    add(DocNode(it->second), 0);
  }
  void OnScalar(const YAML::Mark&, const std::string& tag, YAML::anchor_t anchor, const std::string& value) override {
    DocNode n;
    n.kind = DocNode::Kind::kScalar;
    // yaml-cpp tags: "?" plain, "!" quoted or block literal, or an explicit tag. `!!str` and unknown local tags
    // keep the text; `!!int`, `!!bool`... resolve like plain scalars.
    n.plain = tag == "?" || (tag.rfind("tag:yaml.org,2002:", 0) == 0 && tag != "tag:yaml.org,2002:str");
    n.text = value;
    add(std::move(n), anchor);
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(DocNode::Kind::kSequence, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(DocNode::Kind::kMapping, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    DocNode node;
    YAML::anchor_t anchor;
  };

  void open(DocNode::Kind kind, YAML::anchor_t anchor) {
    Open o{DocNode{}, anchor};
    o.node.kind = kind;
    stack_.push_back(std::move(o));
  }
  void close() {
    Open o = std::move(stack_.back());
    stack_.pop_back();
    add(std::move(o.node), o.anchor);
  }
  void add(DocNode node, YAML::anchor_t anchor) {
    if (anchor != 0) anchors_[anchor] = node;
    if (stack_.empty()) {
      root_ = std::move(node);
    } else {
      stack_.back().node.items.push_back(std::move(node));
    }
  }

  std::vector<Open> stack_;
  std::optional<DocNode> root_;
  std::unordered_map<YAML::anchor_t, DocNode> anchors_;
};

}  // namespace

DocNode load_yaml_with_yaml_cpp(std::string_view data) {
  std::istringstream in{std::string(data)};
  TreeBuilder builder;
  try {
    YAML::Parser parser(in);
    parser.HandleNextDocument(builder);
  } catch (const YAML::Exception& e) {
    throw Error("yaml: line " + std::to_string(e.mark.line + 1) + ", column " + std::to_string(e.mark.column + 1) +
                ": " + e.msg);
  }
  return builder.take_root();
}

}  // namespace gpuhooks::cdi
