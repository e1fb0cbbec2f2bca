#include "tally/protocol/reply_writer.h"

#include <charconv>
#include <cstdio>

#include "tally/util/numbers.h"

namespace tally {

void ReplyWriter::Header(char type, int64_t n) {
  char buf[24];
  buf[0] = type;
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n);
  end[0] = '\r';
  end[1] = '\n';
  out_->append(buf, end + 2 - buf);
}

void ReplyWriter::SimpleString(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n");
}

void ReplyWriter::Error(std::string_view text) {
  if (!text.empty() && text[0] == '-') {
    text.remove_prefix(1);
    out_->push_back('-');
    // The code is the first word (Redis looks for the space in the first 32 bytes).
    const size_t space = text.substr(0, 32).find(' ');
    if (error_sink_) error_sink_->OnError(text.substr(0, space));
  } else {
    out_->append("-ERR ");
    if (error_sink_) error_sink_->OnError("ERR");
  }
  size_t start = out_->size();
  out_->append(text);
  for (size_t i = start; i < out_->size(); ++i) {
    char& c = (*out_)[i];
    if (c == '\r' || c == '\n') c = ' ';
  }
  out_->append("\r\n");
}

void ReplyWriter::Integer(int64_t n) { Header(':', n); }

void ReplyWriter::Bulk(std::string_view s) {
  Header('$', static_cast<int64_t>(s.size()));
  out_->append(s);
  out_->append("\r\n");
}

void ReplyWriter::Null() { out_->append(protocol_ == 3 ? "_\r\n" : "$-1\r\n"); }

void ReplyWriter::NullArray() { out_->append(protocol_ == 3 ? "_\r\n" : "*-1\r\n"); }

void ReplyWriter::ArrayHeader(size_t n) { Header('*', static_cast<int64_t>(n)); }

void ReplyWriter::MapHeader(size_t pairs) {
  if (protocol_ == 3) {
    Header('%', static_cast<int64_t>(pairs));
  } else {
    Header('*', static_cast<int64_t>(pairs * 2));
  }
}

void ReplyWriter::SetHeader(size_t n) {
  Header(protocol_ == 3 ? '~' : '*', static_cast<int64_t>(n));
}

void ReplyWriter::Double(double d) {
  char buf[64];
  int len = std::snprintf(buf, sizeof(buf), "%.17g", d);
  if (protocol_ == 3) {
    out_->push_back(',');
    out_->append(buf, len);
    out_->append("\r\n");
  } else {
    Bulk(std::string_view(buf, len));
  }
}

void ReplyWriter::PushHeader(size_t n) {
  Header(protocol_ == 3 ? '>' : '*', static_cast<int64_t>(n));
}

void ReplyWriter::HumanLongDouble(long double d) {
  if (protocol_ != 3) return Bulk(FormatLongDouble(d));
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), static_cast<double>(d));
  out_->push_back(',');
  out_->append(buf, ec == std::errc() ? end : buf);
  out_->append("\r\n");
}

void ReplyWriter::Bool(bool b) {
  if (protocol_ == 3) {
    out_->append(b ? "#t\r\n" : "#f\r\n");
  } else {
    out_->append(b ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyWriter::Verbatim(std::string_view s, std::string_view format) {
  if (protocol_ != 3) {
    Bulk(s);
    return;
  }
  Header('=', static_cast<int64_t>(s.size() + format.size() + 1));
  out_->append(format);
  out_->push_back(':');
  out_->append(s);
  out_->append("\r\n");
}

}  // namespace tally
