"""The audit log's signed tree heads, public: anyone may keep one and check it later.

No login and nothing personal: a head is a size, a root hash, a time and a signature;
a consistency proof is a list of hashes. Cached like the other public pages.
"""

from django.http import Http404, JsonResponse

from ..audit_chain import LOG_NAME
from ..public_cache import public_cache
from ..selectors.tree_heads import latest_tree_heads, tree_head_of_size
from ..services.audit import consistency_bundle, public_key_pem


@public_cache
def tree_heads_json(request):
    return JsonResponse(
        {
            "log": LOG_NAME,
            "public_key": public_key_pem().decode(),
            "about": (
                "Signed tree heads of the force's audit log (RFC 9162 Merkle tree). Keep one; "
                "later fetch consistency.json?first=<its tree_size> and check it with "
                "python -m lfr_portal.audit_verify --earlier-head HEAD.json --consistency "
                "PROOF.json --public-key KEY.pem"
            ),
            "tree_heads": latest_tree_heads(),
        }
    )


def _size(request, name):
    value = request.GET.get(name)
    if value is None:
        return None
    if not value.isdigit() or len(value) > 18:
        raise ValueError(f"{name} must be a tree size (a whole number)")
    return int(value)


@public_cache
def tree_heads_consistency_json(request):
    """RFC 9162 consistency proof from `first` rows to the latest head, or to `second`."""
    try:
        first, second = _size(request, "first"), _size(request, "second")
        if first is None:
            raise ValueError("first is required: the tree_size of the head you kept")
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    head = None
    if second is not None:
        head = tree_head_of_size(second)
        if head is None:
            raise Http404("No signed tree head has that size.")
    bundle = consistency_bundle(first_size=first, head=head)
    if bundle is None:
        raise Http404("No signed tree head has been issued yet.")
    return JsonResponse(bundle)
